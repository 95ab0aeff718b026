//! Statistics: `installations/{idSite}/stats` (kwh and custom, every
//! interval, per instance) and `installations/{idSite}/overallstats`.
//!
//! The query is matched on the raw string, so the order and the encoding of
//! `attributeCodes[]` (`attributeCodes%5B%5D=…`, repeated) are pinned too.

mod common;

use std::collections::BTreeMap;

use common::{NOW, expect_get, fixture, server, token_header};
use mockito::Matcher;
use serde_json::{Value, json};
use vrm::models::{Point, Series};
use vrm::{Interval, OverallStatsQuery, SiteId, Source, StatsKind, StatsQuery, TimeWindow};

const SITE: SiteId = SiteId(975);

/// The doc's sample window: 1441066216..1442067216, rounded to whole hours.
fn doc_window() -> TimeWindow {
    TimeWindow::from_unix(1_441_066_216, 1_442_067_216).unwrap()
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

// ---- stats, type=kwh --------------------------------------------------------------

#[test]
fn kwh_days_doc_sample() {
    let mut server = server();
    let mock = expect_get(
        &mut server,
        "/installations/975/stats",
        "type=kwh&interval=days&start=1441065600&end=1442070000",
        &fixture("stats_kwh_days.json"),
    );
    let (client, _) = common::client(&server);
    let stats = client
        .site(SITE)
        .stats(&StatsQuery::kwh(doc_window(), Interval::Days))
        .unwrap();
    assert_eq!(stats.source(), Source::Network);
    assert_eq!(stats.requests(), 1);

    assert_eq!(
        stats.codes().collect::<Vec<_>>(),
        ["Bc", "Gb", "Gc", "Pb", "Pc", "Pg"]
    );
    assert_eq!(stats.point_count(), 24);
    let pc = stats.series("Pc").unwrap();
    assert!(!pc.is_per_instance());
    assert_eq!(
        pc.points(),
        [
            Point::new(1_441_066_216_000, Some(12.927161)),
            Point::new(1_441_152_616_000, Some(28.52883)),
            Point::new(1_441_239_016_000, Some(17.722068)),
            Point::new(1_441_325_416_000, Some(9.1537885)),
        ]
    );
    assert_eq!(
        pc.points()[0].time().map(|t| t.unix_timestamp()),
        Some(1_441_066_216)
    );
    // Integers among the floats.
    assert_eq!(stats.series("Gb").unwrap().points()[2].value, Some(0.0));
    assert_eq!(stats.series("Bc").unwrap().points()[1].value, Some(0.0));

    assert_eq!(stats.total("Pb"), Some(2.5122129));
    assert_eq!(stats.total("Pc"), Some(184.5783944));
    assert_eq!(stats.total("Gb"), Some(9.3752899));
    assert_eq!(stats.total("Gc"), Some(252.0008088));
    assert_eq!(stats.total("Pg"), Some(64.7871119));
    assert_eq!(stats.total("Bc"), Some(0.0182044));
    assert!(close(stats.total("kwh"), 513.2720223));
    assert_eq!(stats.totals.len(), 7);
    assert!(stats.instance_totals.is_empty());
    mock.assert();
}

#[test]
fn every_interval_sends_its_name_and_window() {
    const HOUR: i64 = 3600;
    const DAY: i64 = 24 * HOUR;
    // Each at the longest window the doc allows for it, ending at NOW.
    let cases: [(Interval, &str, i64, i64); 7] = [
        (Interval::FifteenMinutes, "15mins", NOW - 31 * DAY, 15 * 60),
        (Interval::Hours, "hours", NOW - 31 * DAY, HOUR),
        (Interval::TwoHours, "2hours", NOW - 31 * DAY, 2 * HOUR),
        (Interval::Days, "days", NOW - 180 * DAY, DAY),
        (Interval::Weeks, "weeks", NOW - 140 * DAY, 7 * DAY),
        (Interval::Months, "months", 1_732_536_000, 30 * DAY), // 2024-11-25: 24 months
        (Interval::Years, "years", 1_637_841_600, 365 * DAY),  // 2021-11-25: 5 years
    ];
    let mut server = server();
    let (client, _) = common::client(&server);
    for (interval, name, start, step) in cases {
        let points: Vec<Value> = (0..4)
            .map(|i| json!([(start + i * step) * 1000, i as f64 * 0.5]))
            .collect();
        let body = json!({"success": true, "records": {"Pc": points, "Pb": false},
            "totals": {"Pc": 3.0, "Pb": false, "kwh": 3.0}})
        .to_string();
        let mock = expect_get(
            &mut server,
            "/installations/975/stats",
            &format!("type=kwh&interval={name}&start={start}&end={NOW}"),
            &body,
        );
        let window = TimeWindow::from_unix(start, NOW).unwrap();
        let stats = client
            .site(SITE)
            .stats(&StatsQuery::kwh(window, interval))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let pc = stats.series("Pc").unwrap().points();
        assert_eq!(pc.len(), 4, "{name}");
        assert_eq!(pc[0].timestamp_ms, start * 1000, "{name}");
        assert_eq!(pc[3].timestamp_ms, (start + 3 * step) * 1000, "{name}");
        assert_eq!(pc[3].value, Some(1.5), "{name}");
        // A code without data (`false`) is not in a kwh answer.
        assert!(stats.series("Pb").is_none(), "{name}");
        assert_eq!(stats.total("Pc"), Some(3.0), "{name}");
        assert_eq!(stats.total("Pb"), None, "{name}");
        mock.assert();
        mock.remove();

        // One hour more than one request may cover: two requests, the
        // first as long as the doc allows, stitched into one answer.
        let early = start - HOUR;
        let first = expect_get(
            &mut server,
            "/installations/975/stats",
            &format!("type=kwh&interval={name}&start={early}&end={}", NOW - HOUR),
            &json!({"success": true, "records": {"Pc": [[early * 1000, 1.0]]}}).to_string(),
        );
        let second = expect_get(
            &mut server,
            "/installations/975/stats",
            &format!("type=kwh&interval={name}&start={}&end={NOW}", NOW - HOUR),
            &json!({"success": true, "records": {"Pc": [[(NOW - HOUR) * 1000, 2.0]]}}).to_string(),
        );
        let too_long = TimeWindow::from_unix(early, NOW).unwrap();
        let stats = client
            .site(SITE)
            .stats(&StatsQuery::kwh(too_long, interval))
            .unwrap_or_else(|e| panic!("{name} in two parts: {e}"));
        assert_eq!(stats.requests(), 2, "{name}");
        assert_eq!(
            stats.series("Pc").unwrap().points(),
            [
                Point::new(early * 1000, Some(1.0)),
                Point::new((NOW - HOUR) * 1000, Some(2.0))
            ],
            "{name}"
        );
        first.assert();
        second.assert();
        first.remove();
        second.remove();
    }
}

#[test]
fn stats_window_is_rounded_to_whole_hours() {
    let mut server = server();
    let mock = expect_get(
        &mut server,
        "/installations/975/stats",
        "type=kwh&interval=hours&start=1486022400&end=1486029600",
        r#"{"success":true,"records":{"Pc":[[1486022400000,0.5],[1486026000000,0.25]]},"totals":{"Pc":0.75,"kwh":0.75}}"#,
    );
    let (client, _) = common::client(&server);
    // The doc's example: 1486022639 becomes 1486022400.
    let window = TimeWindow::from_unix(1_486_022_639, 1_486_026_001).unwrap();
    let stats = client
        .site(SITE)
        .stats(&StatsQuery::kwh(window, Interval::Hours))
        .unwrap();
    assert_eq!(stats.series("Pc").map(Series::len), Some(2));
    assert_eq!(stats.total("kwh"), Some(0.75));
    mock.assert();
}

// ---- stats, type=custom -----------------------------------------------------------

#[test]
fn custom_codes_repeat_percent_encoded() {
    let mut server = server();
    let mock = server
        .mock("GET", "/installations/975/stats")
        .match_query(Matcher::AllOf(vec![
            // On the wire: the brackets encoded, the key repeated, in order.
            Matcher::Exact(
                "type=custom&attributeCodes%5B%5D=Gb&attributeCodes%5B%5D=Gc&attributeCodes%5B%5D=Pc\
                 &interval=days&start=1441065600&end=1442070000"
                    .into(),
            ),
            // Decoded. (mockito's UrlEncoded reads the query into a map, so
            // a repeated key only shows its last value: the codes are
            // pinned by the exact string above.)
            common::query(&[
                ("type", "custom"),
                ("attributeCodes[]", "Pc"),
                ("interval", "days"),
                ("start", "1441065600"),
                ("end", "1442070000"),
            ]),
        ]))
        .match_header("x-authorization", token_header().as_str())
        .with_body(fixture("stats_kwh_days.json"))
        .expect(1)
        .create();
    let (client, _) = common::client(&server);
    let query = StatsQuery::custom(doc_window(), Interval::Days, ["Gb", "Gc", "Pc"]);
    assert_eq!(query.kind().codes(), ["Gb", "Gc", "Pc"]);
    let stats = client.site(SITE).stats(&query).unwrap();
    // The codes asked for, whatever else VRM sends: the same answer as
    // one stitched from the cache.
    assert_eq!(stats.series.keys().collect::<Vec<_>>(), ["Gb", "Gc", "Pc"]);
    assert_eq!(
        stats.series("Gc").unwrap().points()[1].value,
        Some(4.5079915)
    );
    assert_eq!(stats.total("Gc"), Some(252.0008088));
    mock.assert();
}

#[test]
fn custom_hours_min_max_and_quirky_timestamps() {
    let mut server = server();
    let window = TimeWindow::from_unix(1_776_510_000, 1_776_524_400).unwrap();
    let mock = expect_get(
        &mut server,
        "/installations/151734/stats",
        "type=custom&attributeCodes%5B%5D=bv&interval=hours&start=1776510000&end=1776524400",
        &fixture("stats_custom_min_max.json"),
    );
    let (client, _) = common::client(&server);
    let stats = client
        .site(SiteId(151_734))
        .stats(&StatsQuery::custom(window, Interval::Hours, ["bv"]))
        .unwrap();
    let bv = stats.series("bv").unwrap().points();
    assert_eq!(
        bv,
        [
            Point::with_min_max(1_776_510_000_000, Some(13.4), Some(13.1), Some(13.9)),
            // Float timestamp, value as a string.
            Point::with_min_max(1_776_513_600_000, Some(13.2), Some(12.9), Some(13.6)),
            // String timestamp, no min/max.
            Point::new(1_776_517_200_000, Some(13.5)),
            // [t, null, false, false]
            Point::new(1_776_520_800_000, None),
        ]
    );
    // No `totals` key: bv's points carry min and max, so its total is the
    // mean of the bucket means (the null one has none), its extremes apart.
    assert_eq!(stats.total("bv"), Some((13.4 + 13.2 + 13.5) / 3.0));
    assert_eq!(stats.minimums["bv"], Some(12.9));
    assert_eq!(stats.maximums["bv"], Some(13.9));
    mock.assert();
}

#[test]
fn custom_fifteen_minutes() {
    let mut server = server();
    let start = NOW - 6 * 3600;
    let points: Vec<Value> = (0..24)
        .map(|i| json!([(start + i * 900) * 1000, 50.0 + i as f64]))
        .collect();
    let mock = expect_get(
        &mut server,
        "/installations/975/stats",
        &format!("type=custom&attributeCodes%5B%5D=bs&interval=15mins&start={start}&end={NOW}"),
        &json!({"success": true, "records": {"bs": points}, "totals": {"bs": "61.5"}}).to_string(),
    );
    let (client, _) = common::client(&server);
    let window = TimeWindow::from_unix(start, NOW).unwrap();
    let stats = client
        .site(SITE)
        .stats(&StatsQuery::custom(
            window,
            Interval::FifteenMinutes,
            ["bs"],
        ))
        .unwrap();
    let bs = stats.series("bs").unwrap().points();
    assert_eq!(bs.len(), 24);
    assert!(
        bs.windows(2)
            .all(|w| w[1].timestamp_ms - w[0].timestamp_ms == 900_000)
    );
    assert_eq!(bs[23].value, Some(73.0));
    assert_eq!(stats.total("bs"), Some(61.5)); // sent as a string
    mock.assert();
}

#[test]
fn show_instance_groups_by_instance() {
    let mut server = server();
    let mock = expect_get(
        &mut server,
        "/installations/975/stats",
        "type=custom&attributeCodes%5B%5D=PVP&attributeCodes%5B%5D=YU\
         &interval=hours&start=1441065600&end=1441072800&show_instance=1",
        &fixture("stats_show_instance.json"),
    );
    let (client, _) = common::client(&server);
    let window = TimeWindow::from_unix(1_441_066_216, 1_441_069_816).unwrap();
    let query = StatsQuery::custom(window, Interval::Hours, ["PVP", "YU"]).show_instance(true);
    assert!(query.is_show_instance());
    let stats = client.site(SITE).stats(&query).unwrap();

    let pvp = stats.series("PVP").unwrap();
    assert!(pvp.is_per_instance());
    assert!(pvp.points().is_empty());
    assert_eq!(pvp.instances().map(|(i, _)| i).collect::<Vec<_>>(), [0, 1]);
    assert_eq!(
        pvp.instance(0).unwrap(),
        [
            Point::new(1_441_066_216_000, Some(120.0)),
            Point::new(1_441_069_816_000, Some(80.25))
        ]
    );
    assert_eq!(
        pvp.instance(1).unwrap(),
        [
            Point::new(1_441_066_216_000, Some(60.0)),
            Point::new(1_441_069_816_000, Some(40.5))
        ]
    );
    assert_eq!(pvp.len(), 4);
    let yu = stats.series("YU").unwrap();
    assert_eq!(yu.instance(0), None); // `false`: no data
    assert_eq!(
        yu.instance(1).unwrap(),
        [Point::new(1_441_066_216_000, Some(1.25))]
    );
    assert_eq!(stats.point_count(), 5);

    // Totals: summed over instances, and kept per instance.
    assert_eq!(stats.total("PVP"), Some(150.5));
    assert_eq!(stats.total("YU"), Some(1.25));
    assert_eq!(
        stats.instance_totals["PVP"],
        BTreeMap::from([(0, Some(100.0)), (1, Some(50.5))])
    );
    assert_eq!(
        stats.instance_totals["YU"],
        BTreeMap::from([(1, Some(1.25))])
    );
    mock.assert();
}

#[test]
fn kwh_with_show_instance_list_form() {
    // PHP sends a 0-based map of instances as a list.
    let mut server = server();
    let mock = expect_get(
        &mut server,
        "/installations/975/stats",
        "type=kwh&interval=days&start=1441065600&end=1442070000&show_instance=1",
        r#"{"success":true,
            "records":[{"instance":"3","stats":{"Pc":[[1441066216000,1.5]]}},{"stats":{"Pc":[[1441066216000,2.5]],"Pb":false}}],
            "totals":[{"instance":3,"totals":{"Pc":1.5}},{"totals":{"Pc":"2.5","Pb":false}}]}"#,
    );
    let (client, _) = common::client(&server);
    let stats = client
        .site(SITE)
        .stats(&StatsQuery::kwh(doc_window(), Interval::Days).show_instance(true))
        .unwrap();
    let pc = stats.series("Pc").unwrap();
    assert_eq!(pc.instance(3).unwrap()[0].value, Some(1.5));
    assert_eq!(pc.instance(1).unwrap()[0].value, Some(2.5)); // by position
    assert_eq!(stats.total("Pc"), Some(4.0));
    assert_eq!(stats.total("Pb"), None);
    assert_eq!(stats.instance_totals["Pc"][&3], Some(1.5));
    mock.assert();
}

#[test]
fn stats_quirks_false_null_and_strings() {
    let mut server = server();
    let some = expect_get(
        &mut server,
        "/installations/975/stats",
        "type=kwh&interval=days&start=1441065600&end=1442070000",
        &fixture("stats_no_data.json"),
    );
    let none = expect_get(
        &mut server,
        "/installations/976/stats",
        "type=kwh&interval=days&start=1441065600&end=1442070000",
        r#"{"success":true,"records":false,"totals":false}"#,
    );
    let (client, _) = common::client(&server);
    let query = StatsQuery::kwh(doc_window(), Interval::Days);
    let stats = client.site(SITE).stats(&query).unwrap();
    // `false` and `[]`: no data, so not in a kwh answer.
    assert!(stats.series("Pb").is_none());
    assert!(stats.series("Pc").is_none());
    assert_eq!(
        stats.series("Gc").unwrap().points(),
        [Point::new(1_441_066_216_000, None)] // null value
    );
    assert_eq!(
        stats.series("Gb").unwrap().points(),
        [Point::new(1_441_066_216_000, None)] // false value
    );
    assert_eq!(stats.total("Pb"), None);
    assert_eq!(stats.totals.get("Pb"), None);
    assert_eq!(stats.total("Pc"), None);
    assert_eq!(stats.total("Gc"), Some(0.25)); // "0.25"
    assert_eq!(stats.total("Gb"), Some(0.0));

    let empty = client.site(SiteId(976)).stats(&query).unwrap();
    assert!(empty.series.is_empty());
    assert_eq!(empty.totals, BTreeMap::from([("kwh".to_owned(), None)]));
    assert_eq!(empty.point_count(), 0);
    some.assert();
    none.assert();
}

#[test]
fn stats_no_data_is_an_api_error() {
    let mut server = server();
    let mock = expect_get(
        &mut server,
        "/installations/975/stats",
        "type=custom&attributeCodes%5B%5D=Pc&interval=years&start=1441065600&end=1442070000",
        &fixture("error_no_data.json"),
    );
    let (client, _) = common::client(&server);
    let err = client
        .site(SITE)
        .stats(&StatsQuery::custom(doc_window(), Interval::Years, ["Pc"]))
        .unwrap_err();
    let api = err.api_error().expect("api error");
    assert_eq!(api.status, 200);
    assert_eq!(api.endpoint, "installations/{idSite}/stats");
    assert_eq!(api.error_code.as_deref(), Some("no_data"));
    assert_eq!(api.errors, ["Site has no stats for this period."]);
    mock.assert();
}

// ---- overallstats -----------------------------------------------------------------

#[test]
fn overallstats_without_type() {
    let mut server = server();
    let mock = expect_get(
        &mut server,
        "/installations/1039/overallstats",
        "",
        &fixture("overallstats.json"),
    );
    let (client, _) = common::client(&server);
    let overall = client
        .site(SiteId(1039))
        .overall_stats(&OverallStatsQuery::new())
        .unwrap();
    assert_eq!(overall.requests(), 1);
    assert_eq!(
        overall
            .periods
            .keys()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        ["month", "today", "week", "year"]
    );
    let year = overall.year().unwrap();
    assert_eq!(year.total("Gc"), Some(2890.3096331091));
    assert_eq!(year.total("Pc"), Some(444.43205584318));
    assert_eq!(year.total("Bc"), Some(285.16498499073));
    assert_eq!(year.totals.get("gc"), Some(&None)); // false
    assert_eq!(year.percentage("Gc"), Some(80.0));
    assert_eq!(year.percentage("gc"), Some(0.0));
    let month = overall.month().unwrap();
    assert_eq!(month.total("Bc"), Some(46.909044223721));
    assert_eq!(month.percentage("Pc"), Some(32.0));
    let week = overall.week().unwrap();
    assert_eq!(week.total("Gc"), Some(52.626889668405));
    assert_eq!(week.percentage("Pc"), Some(25.0));
    let today = overall.today().unwrap();
    assert_eq!(today.total("Pc"), Some(2.7864799629897));
    assert_eq!(today.percentage("Bc"), Some(19.0));
    // Unknown field kept.
    assert_eq!(today.extra.get("note"), Some(&Value::from("kept")));
    assert!(year.extra.is_empty());
    mock.assert();
}

#[test]
fn overallstats_kwh() {
    let mut server = server();
    let mock = expect_get(
        &mut server,
        "/installations/1039/overallstats",
        "type=kwh",
        &fixture("overallstats.json"),
    );
    let (client, _) = common::client(&server);
    let overall = client
        .site(SiteId(1039))
        .overall_stats(&OverallStatsQuery::kwh())
        .unwrap();
    assert_eq!(overall.periods.len(), 4);
    assert_eq!(overall.today().unwrap().total("Gc"), Some(5.9271823316813));
    mock.assert();
}

#[test]
fn overallstats_custom_codes() {
    let mut server = server();
    let mock = expect_get(
        &mut server,
        "/installations/1039/overallstats",
        "type=custom&attributeCodes%5B%5D=Gc&attributeCodes%5B%5D=Pc&attributeCodes%5B%5D=Bc",
        r#"{"success":true,"records":{
            "today":{"totals":{"Gc":"5.5","Pc":2,"Bc":false},"percentages":{"Gc":"55","Pc":26,"Bc":null},"extraInfo":[1]},
            "week":{"totals":false,"percentages":[]},
            "year":{}}}"#,
    );
    let (client, _) = common::client(&server);
    let overall = client
        .site(SiteId(1039))
        .overall_stats(&OverallStatsQuery::custom(["Gc", "Pc", "Bc"]))
        .unwrap();
    let today = overall.today().unwrap();
    assert_eq!(today.total("Gc"), Some(5.5));
    assert_eq!(today.total("Pc"), Some(2.0));
    assert_eq!(today.totals.get("Bc"), Some(&None));
    assert_eq!(today.percentage("Gc"), Some(55.0));
    assert_eq!(today.percentage("Bc"), None);
    assert_eq!(today.extra.get("extraInfo"), Some(&json!([1])));
    let week = overall.week().unwrap();
    assert!(week.totals.is_empty() && week.percentages.is_empty());
    assert!(overall.year().unwrap().totals.is_empty());
    assert_eq!(overall.month(), None); // missing
    mock.assert();
}

// ---- the other types of the 2026 spec --------------------------------------------

/// Every type whose set is VRM's sends its spec name, with no codes, and
/// reads the same answer shape.
#[test]
fn every_fixed_type_sends_its_name() {
    let mut server = server();
    let (client, _) = common::client(&server);
    let cases = [
        (StatsKind::Venus, "venus"),
        (StatsKind::LiveFeed, "live_feed"),
        (StatsKind::Consumption, "consumption"),
        (StatsKind::SolarYield, "solar_yield"),
        (StatsKind::Generator, "generator"),
        (StatsKind::GeneratorRuntime, "generator-runtime"),
    ];
    for (kind, name) in cases {
        assert_eq!(kind.as_str(), name);
        assert_eq!(
            StatsKind::from_name(name, Vec::<String>::new()).unwrap(),
            kind
        );
        // Odd values: a number as a string, `false` for a code without
        // data, an integer timestamp with a min and max.
        let body = json!({"success": true,
            "records": {"bs": [[1_441_065_600_000_i64, "55.5", 50, 61]], "X1": false},
            "totals": {"bs": "55.5", "X1": false}})
        .to_string();
        let mock = expect_get(
            &mut server,
            "/installations/975/stats",
            &format!("type={name}&interval=2hours&start=1441065600&end=1441072800"),
            &body,
        );
        let window = TimeWindow::from_unix(1_441_065_600, 1_441_072_800).unwrap();
        let stats = client
            .site(SITE)
            .stats(&StatsQuery::new(window, Interval::TwoHours, kind.clone()))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(stats.requests(), 1, "{name}");
        assert_eq!(
            stats.series("bs").unwrap().points(),
            [Point::with_min_max(
                1_441_065_600_000,
                Some(55.5),
                Some(50.0),
                Some(61.0)
            )],
            "{name}"
        );
        assert_eq!(stats.total("bs"), Some(55.5), "{name}");
        assert!(stats.series("X1").is_none(), "{name}");
        // Only kwh has a `kwh` sum: these sets mix units.
        assert_eq!(stats.totals.get("kwh"), None, "{name}");
        mock.assert();
        mock.remove();
    }
    assert_eq!(
        StatsKind::from_name("Generator_Runtime", ["x"]).unwrap(),
        StatsKind::GeneratorRuntime
    );
    assert_eq!(
        StatsKind::from_name("custom", ["Pc"]).unwrap(),
        StatsKind::Custom(vec!["Pc".into()])
    );
    let e = StatsKind::from_name("weather", Vec::<String>::new()).unwrap_err();
    assert!(
        e.to_string().contains("weather") && e.to_string().contains("live_feed"),
        "{e}"
    );
}

/// A fixed type goes through the stats engine: cached as points, a
/// window it covers answered with no request.
#[test]
fn a_fixed_type_is_cached_and_stitched_like_kwh() {
    let mut server = server();
    common::mock_me(&mut server, 22);
    let cache = vrm::Cache::in_memory().unwrap();
    let start = NOW - 40 * 86_400;
    let mock = server
        .mock("GET", "/installations/975/stats")
        .match_query(Matcher::Regex("^type=solar_yield&interval=hours&".into()))
        .with_body_from_request(|req| common::stats_body(req.path_and_query(), 3600))
        .expect(2)
        .create();
    let (client, _) = common::cached_client(&server, &cache);
    let window = TimeWindow::from_unix(start, start + 35 * 86_400).unwrap();
    let query = StatsQuery::new(window, Interval::Hours, StatsKind::SolarYield);
    let first = client.site(SITE).stats(&query).unwrap();
    // 35 days of hours: two requests (and users/me, to learn the account).
    assert_eq!(first.requests(), 3);
    let again = client.site(SITE).stats(&query).unwrap();
    assert_eq!(again.requests(), 0);
    assert_eq!(again.source(), Source::Cache);
    assert_eq!(again.value(), first.value());
    mock.assert();
}

#[test]
fn overallstats_every_type_but_forecast() {
    let mut server = server();
    let (client, _) = common::client(&server);
    for kind in [
        StatsKind::Venus,
        StatsKind::LiveFeed,
        StatsKind::Consumption,
        StatsKind::SolarYield,
        StatsKind::Generator,
        StatsKind::GeneratorRuntime,
    ] {
        let mock = expect_get(
            &mut server,
            "/installations/975/overallstats",
            &format!("type={kind}"),
            r#"{"success":true,"records":{"today":{"totals":{"Gr":"1.5","Gc":false},"percentages":{"Gr":100}},"week":[]}}"#,
        );
        let overall = client
            .site(SITE)
            .overall_stats(&OverallStatsQuery::of(kind.clone()))
            .unwrap();
        assert_eq!(overall.today().unwrap().total("Gr"), Some(1.5));
        assert_eq!(overall.today().unwrap().total("Gc"), None);
        assert_eq!(overall.today().unwrap().percentage("Gr"), Some(100.0));
        assert!(overall.week().unwrap().totals.is_empty());
        mock.assert();
        mock.remove();
    }
    let none = common::no_request(&mut server);
    let e = client
        .site(SITE)
        .overall_stats(&OverallStatsQuery::of(StatsKind::Forecast))
        .unwrap_err();
    assert!(e.to_string().contains("forecast"), "{e}");
    common::assert_no_request(&none);
}
