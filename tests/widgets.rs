//! Widgets: `installations/{idSite}/widgets/Graph`, the state widgets (with
//! instance and time window), the summary widgets (instance only), the
//! other named widgets and any widget by name (`Widget::Other`).
//!
//! Every mock pins the method, the path, the exact query and the
//! `X-Authorization` header, and expects to be hit exactly once.

mod common;

use common::{expect_get, fixture, server};
use mockito::Matcher;
use serde_json::{Map, Value};
use vrm::models::{GraphPoint, StateChange};
use vrm::{Error, GraphQuery, SiteId, Source, TimeWindow, Widget, WidgetKind, WidgetQuery};

const SITE: SiteId = SiteId(151_734);

/// State changes as `(state, start, end)`.
fn spans(changes: &[StateChange]) -> Vec<(Option<&str>, Option<i64>, Option<i64>)> {
    changes
        .iter()
        .map(|c| (c.state.as_deref(), c.start, c.end))
        .collect()
}

/// The hour of the live Graph sample: 1776510000..1776517200 after rounding.
fn sample_window() -> TimeWindow {
    TimeWindow::from_unix(1_776_512_315, 1_776_515_855).unwrap()
}

// ---- widgets/Graph ----------------------------------------------------------------

#[test]
fn graph_with_codes_instance_and_window() {
    let mut server = server();
    let mock = expect_get(
        &mut server,
        "/installations/151734/widgets/Graph",
        "attributeCodes%5B%5D=bs&attributeCodes%5B%5D=bv&instance=0&start=1776510000&end=1776517200",
        &fixture("widget_graph_bs_bv.json"),
    );
    let (client, _) = common::client(&server);
    let query = GraphQuery::new(["bs", "bv"])
        .instance(0)
        .window(sample_window());
    assert_eq!(query.codes(), ["bs", "bv"]);
    let graph = client.site(SITE).graph(&query).unwrap();
    assert_eq!(graph.source(), Source::Network);
    assert_eq!(graph.requests(), 1);

    assert_eq!(graph.instance, Some(0));
    assert_eq!(
        graph.data.keys().map(String::as_str).collect::<Vec<_>>(),
        ["143", "144"]
    );
    assert_eq!(graph.attribute_id("bv"), Some("143"));
    assert_eq!(graph.attribute_id("bs"), Some("144"));
    let bv = graph.series("bv").unwrap();
    assert_eq!(bv.len(), 60);
    assert_eq!(bv[0].timestamp_s, 1_776_512_315);
    assert_eq!(bv[0].value, Some(13.39));
    assert_eq!((bv[0].min, bv[0].max), (None, None));
    assert_eq!(
        bv[0].time().map(|t| t.unix_timestamp()),
        Some(1_776_512_315)
    );
    assert_eq!(bv[1].timestamp_s, 1_776_512_375); // one a minute
    assert_eq!(bv[59].timestamp_s, 1_776_515_855);
    assert_eq!(bv[59].value, Some(13.38));
    let bs = graph.series("bs").unwrap();
    assert_eq!(bs.len(), 60);
    assert_eq!(bs[0].value, Some(99.8));
    assert_eq!(bs[59].value, Some(99.7));

    let soc = graph.meta_for("bs").unwrap();
    assert_eq!(soc.description.as_deref(), Some("Battery SOC"));
    assert_eq!(soc.format_value_only.as_deref(), Some("%.1F"));
    assert_eq!(soc.format_with_unit.as_deref(), Some("%.1F %%"));
    assert_eq!(soc.axis_group.as_deref(), Some("Percentage"));
    assert_eq!(soc.unit().as_deref(), Some("%"));
    let volts = graph.meta_for("bv").unwrap();
    assert_eq!(volts.description.as_deref(), Some("Voltage"));
    assert_eq!(volts.axis_group.as_deref(), Some("Battery Voltage"));
    assert_eq!(volts.unit().as_deref(), Some("V"));
    assert!(volts.extra.is_empty());
    assert_eq!(
        graph.by_code().keys().copied().collect::<Vec<_>>(),
        ["bs", "bv"]
    );
    mock.assert();
}

#[test]
fn graph_codes_only_and_quirks() {
    // The doc's first example: three codes, default instance, last day.
    let mut server = server();
    let mock = expect_get(
        &mut server,
        "/installations/1039/widgets/Graph",
        "attributeCodes%5B%5D=IV1&attributeCodes%5B%5D=IV2&attributeCodes%5B%5D=IV3",
        r##"{"success":true,"records":{
            "data":{"1":[[1776512315,"230.5",229.9,231.2],[1776512375.0,null]],"2":false,"3":[]},
            "meta":{"1":{"code":"IV1","formatWithValueOnly":"%.1F","formatWithUnit":"%.1F V","color":"#f00"},
                    "2":{"code":"IV2","formatWithUnit":"%.1F V"}},
            "instance":"257"}}"##,
    );
    let (client, _) = common::client(&server);
    let graph = client
        .site(SiteId(1039))
        .graph(&GraphQuery::new(["IV1", "IV2", "IV3"]))
        .unwrap();
    assert_eq!(graph.instance, Some(257)); // sent as a string
    let iv1 = graph.series("IV1").unwrap();
    assert_eq!(iv1.len(), 2);
    assert_eq!(
        (iv1[0].timestamp_s, iv1[0].value, iv1[0].min, iv1[0].max),
        (1_776_512_315, Some(230.5), Some(229.9), Some(231.2))
    );
    assert_eq!((iv1[1].timestamp_s, iv1[1].value), (1_776_512_375, None));
    assert_eq!(graph.series("IV2"), Some(&[][..] as &[GraphPoint])); // false
    assert_eq!(graph.series("IV3"), None); // no meta for it
    assert!(graph.data["3"].is_empty());
    let meta = graph.meta_for("IV1").unwrap();
    assert_eq!(meta.format_value_only.as_deref(), Some("%.1F")); // the alias
    assert_eq!(meta.extra.get("color"), Some(&Value::from("#f00")));
    assert_eq!(graph.meta_for("IV2").unwrap().description, None);
    mock.assert();
}

#[test]
fn graph_with_bad_codes_sends_nothing() {
    let mut server = server();
    let nothing = server.mock("GET", Matcher::Any).expect(0).create();
    let (client, _) = common::client(&server);
    let none: [&str; 0] = [];
    for query in [
        GraphQuery::new(none),
        GraphQuery::new(["bv", ""]),
        GraphQuery::new(["bv&instance=9"]),
    ] {
        let err = client.site(SITE).graph(&query).unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    }
    nothing.assert();
}

// ---- state widgets ----------------------------------------------------------------

#[test]
fn vebus_state_with_instance_and_window() {
    let mut server = server();
    let mock = expect_get(
        &mut server,
        "/installations/151734/widgets/VeBusState",
        "instance=257&start=1776499200&end=1776510000",
        &fixture("widget_vebus_state.json"),
    );
    let (client, _) = common::client(&server);
    assert_eq!(Widget::VeBusState.kind(), WidgetKind::State);
    let window = TimeWindow::from_unix(1_776_500_000, 1_776_507_200).unwrap();
    let w = client
        .site(SITE)
        .widget(
            &Widget::VeBusState,
            &WidgetQuery::new().instance(257).window(window),
        )
        .unwrap();
    assert_eq!(w.requests(), 1);
    assert_eq!(w.attribute_id("S"), Some("40"));
    let changes = w.state_changes("S");
    assert_eq!(
        spans(&changes),
        [
            (Some("9"), Some(1_776_500_000), Some(1_776_503_600)),
            (Some("3"), Some(1_776_503_600), Some(1_776_507_200)),
            (Some("9"), Some(1_776_507_200), None), // still inverting
        ]
    );
    assert_eq!(
        changes[1].start_time().map(|t| t.unix_timestamp()),
        Some(1_776_503_600)
    );
    assert_eq!(w.enum_name("S", "9"), Some("Inverting"));
    assert_eq!(w.enum_name("S", "3"), Some("Bulk"));
    assert_eq!(w.enum_name("S", "0"), Some("Off"));
    assert_eq!(w.enums["40"].len(), 3);
    let meta = w.meta_for("S").unwrap();
    assert_eq!(meta.description.as_deref(), Some("VE.Bus state"));
    assert_eq!(meta.axis_group, None); // `null`
    // `sort` and `buckets` are kept in `extra`.
    assert_eq!(w.extra["sort"]["40"]["9"], Value::from(2));
    assert_eq!(w.extra["buckets"]["40"]["original count"], Value::from(3));
    assert_eq!(w.extra["buckets"]["40"]["resampled"], Value::Bool(false));
    assert_eq!(w.instance, None); // not sent
    assert!(w.attribute_order.is_empty());
    mock.assert();
}

#[test]
fn mppt_state_doc_example_window_rounded() {
    // The doc: MPPTState?instance=255&start=1451606400&end=1452815999.
    let mut server = server();
    let mock = expect_get(
        &mut server,
        "/installations/1039/widgets/MPPTState",
        "instance=255&start=1451606400&end=1452816000",
        r#"{"success":true,"records":{"data":{"94":{"0":{"0":"3","1":1451606400,"2":"1451610000"},"1":{"0":"5","1":1451610000,"2":null}}},
            "meta":{"94":{"code":"ScS","description":"Charge state"}},
            "enums":{"94":{"3":"Bulk","5":"Float","7":false}},"buckets":[]}}"#,
    );
    let (client, _) = common::client(&server);
    let window = TimeWindow::from_unix(1_451_606_400, 1_452_815_999).unwrap();
    let w = client
        .site(SiteId(1039))
        .widget(
            &Widget::MpptState,
            &WidgetQuery::new().instance(255).window(window),
        )
        .unwrap();
    // Tuples as objects keyed by position, a time as a string.
    assert_eq!(
        spans(&w.state_changes("ScS")),
        [
            (Some("3"), Some(1_451_606_400), Some(1_451_610_000)),
            (Some("5"), Some(1_451_610_000), None),
        ]
    );
    assert_eq!(w.enum_name("ScS", "5"), Some("Float"));
    assert_eq!(w.enum_name("ScS", "7"), None); // `false` dropped
    assert_eq!(w.extra.get("buckets"), Some(&Value::Array(Vec::new())));
    mock.assert();
}

#[test]
fn vebus_warnings_with_window_only_and_no_data() {
    let mut server = server();
    let mock = expect_get(
        &mut server,
        "/installations/151734/widgets/VeBusWarningsAndAlarms",
        "start=1776510000&end=1776517200",
        r#"{"success":true,"records":{"data":[],"meta":false,"enums":[]}}"#,
    );
    let (client, _) = common::client(&server);
    let w = client
        .site(SITE)
        .widget(
            &Widget::VeBusWarningsAndAlarms,
            &WidgetQuery::new().window(sample_window()),
        )
        .unwrap();
    assert_eq!(w.data, Value::Array(Vec::new()));
    assert!(w.meta.is_empty() && w.enums.is_empty());
    assert!(w.state_changes("ALARM").is_empty());
    mock.assert();
}

// ---- summary widgets --------------------------------------------------------------

#[test]
fn battery_summary_with_instance() {
    let mut server = server();
    let mock = expect_get(
        &mut server,
        "/installations/151734/widgets/BatterySummary",
        "instance=288",
        &fixture("widget_battery_summary.json"),
    );
    let (client, _) = common::client(&server);
    assert_eq!(Widget::BatterySummary.kind(), WidgetKind::Summary);
    let w = client
        .site(SITE)
        .widget(&Widget::BatterySummary, &WidgetQuery::new().instance(288))
        .unwrap();
    assert_eq!(w.meta.len(), 25);
    assert_eq!(w.attribute_id("SOC"), Some("51"));
    assert_eq!(w.attribute_id("V"), Some("47"));
    assert_eq!(w.meta_for("V").unwrap().unit().as_deref(), Some("V"));
    assert_eq!(w.meta_for("I").unwrap().unit().as_deref(), Some("A"));
    assert_eq!(w.meta_for("CE").unwrap().unit().as_deref(), Some("Ah"));
    assert_eq!(w.meta_for("SOC").unwrap().unit().as_deref(), Some("%"));
    assert_eq!(w.meta_for("Relay").unwrap().unit(), None);
    assert_eq!(w.attribute_order.len(), 25);
    assert_eq!(w.attribute_order[..3], [119, 120, 121]);
    assert_eq!(w.attribute_order[24], 174);
    assert_eq!(w.has_old_data(), Some(false));
    assert_eq!(w.seconds_ago(), Some(0));
    // The demo sends no values: only hasOldData and secondsAgo.
    assert_eq!(w.summary("SOC"), None);
    assert!(w.summaries().is_empty());
    assert!(w.extra.is_empty(), "{:?}", w.extra);
    mock.assert();
}

#[test]
fn pv_inverter_status_with_instance() {
    let mut server = server();
    let mock = expect_get(
        &mut server,
        "/installations/151734/widgets/PVInverterStatus",
        "instance=20",
        &fixture("widget_pv_inverter.json"),
    );
    let (client, _) = common::client(&server);
    let w = client
        .site(SITE)
        .widget(&Widget::PvInverterStatus, &WidgetQuery::new().instance(20))
        .unwrap();
    assert_eq!(w.meta.len(), 13);
    assert_eq!(w.attribute_order.len(), 13);
    assert_eq!(w.attribute_order[0], 246);
    assert_eq!(w.meta_for("pS").map(|m| m.code.as_str()), Some("pS"));
    assert_eq!(
        w.meta_for("pV1").unwrap().axis_group.as_deref(),
        Some("AC Voltage")
    );
    assert_eq!(w.meta_for("pP1").unwrap().unit().as_deref(), Some("W"));
    assert_eq!(w.meta_for("pE3").unwrap().unit().as_deref(), Some("kWh"));
    assert_eq!(w.seconds_ago(), Some(0));
    mock.assert();
}

#[test]
fn status_summary_with_values() {
    let mut server = server();
    let mock = expect_get(
        &mut server,
        "/installations/151734/widgets/Status",
        "instance=288",
        &fixture("widget_status_values.json"),
    );
    let (client, _) = common::client(&server);
    let w = client
        .site(SITE)
        .widget(&Widget::Status, &WidgetQuery::new().instance(288))
        .unwrap();
    assert_eq!(w.has_old_data(), Some(true));
    assert_eq!(w.seconds_ago(), Some(12)); // "12"
    let soc = w.summary("SOC").unwrap();
    assert_eq!(soc.code, "SOC");
    assert_eq!(soc.data_attribute_name.as_deref(), Some("State of charge"));
    assert_eq!(soc.data_type.as_deref(), Some("float"));
    assert_eq!(soc.id_data_attribute, Some(51)); // "51"
    assert_eq!(soc.instance, Some(288));
    assert_eq!(soc.value_float, Some(87.5)); // "87.5"
    assert_eq!(soc.value_f64(), Some(87.5));
    assert_eq!(soc.raw_value, Some(Value::from("87.5")));
    assert_eq!(soc.formatted_value.as_deref(), Some("87.5 %"));
    assert_eq!(soc.value_formatted_with_unit.as_deref(), Some("87.5 %"));
    assert_eq!(soc.seconds_ago, Some(12));
    assert_eq!(soc.has_old_data, Some(false));
    assert_eq!(soc.is_valid, Some(true)); // "1"
    assert_eq!(soc.value_enum, None); // null
    assert_eq!(soc.value_string, None);
    assert_eq!(soc.extra.get("secondsToNextLog"), Some(&Value::from("48")));
    assert_eq!(soc.extra.get("dbusPath"), Some(&Value::from("/Soc")));

    let relay = w.summary("Relay").unwrap();
    assert_eq!(relay.data_type.as_deref(), Some("enum"));
    assert_eq!(relay.value_enum, Some(0)); // "0"
    assert_eq!(relay.name_enum.as_deref(), Some("Open"));
    assert_eq!(relay.value_float, None);
    assert_eq!(relay.value_f64(), Some(0.0)); // from rawValue "0"
    assert_eq!(relay.data_attribute_enum_values.len(), 2);
    assert_eq!(relay.data_attribute_enum_values[1].name_enum, "Closed");
    assert_eq!(relay.data_attribute_enum_values[1].value_enum, Some(1));
    assert_eq!(
        relay.extra.get("isKeyDataAttribute"),
        Some(&Value::from("0"))
    );

    // In attributeOrder: 54 before 51.
    let ids: Vec<String> = w.summaries().into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids, ["54", "51"]);
    assert_eq!(w.attribute_order, [54, 51]);
    mock.assert();
}

#[test]
fn solar_charger_summary_without_parameters() {
    let mut server = server();
    let mock = expect_get(
        &mut server,
        "/installations/1039/widgets/SolarChargerSummary",
        "",
        r#"{"success":true,"records":{"data":{"hasOldData":"0","secondsAgo":{"value":false}},
            "meta":[],"attributeOrder":["85",false,"86"]}}"#,
    );
    let (client, _) = common::client(&server);
    let w = client
        .site(SiteId(1039))
        .widget(&Widget::SolarChargerSummary, &WidgetQuery::new())
        .unwrap();
    assert!(w.meta.is_empty()); // `[]`
    assert_eq!(w.attribute_order, [85, 86]); // strings read, `false` dropped
    assert_eq!(w.seconds_ago(), None); // `false`
    assert!(w.summaries().is_empty());
    mock.assert();
}

#[test]
fn every_summary_widget_takes_an_instance_and_refuses_a_window() {
    let mut server = server();
    let (client, _) = common::client(&server);
    let summaries = [
        (Widget::BatterySummary, "BatterySummary"),
        (Widget::BmsDiagnostics, "BMSDiagnostics"),
        (Widget::HistoricData, "HistoricData"),
        (Widget::IoExtenderInOut, "IOExtenderInOut"),
        (Widget::LithiumBms, "LithiumBMS"),
        (Widget::MotorSummary, "MotorSummary"),
        (Widget::PvInverterStatus, "PVInverterStatus"),
        (Widget::SolarChargerSummary, "SolarChargerSummary"),
        (Widget::Status, "Status"),
    ];
    for (widget, name) in &summaries {
        assert_eq!(widget.kind(), WidgetKind::Summary, "{name}");
        let mock = expect_get(
            &mut server,
            &format!("/installations/151734/widgets/{name}"),
            "instance=0",
            r#"{"success":true,"records":{"data":{"hasOldData":false},"meta":{}}}"#,
        );
        let w = client
            .site(SITE)
            .widget(widget, &WidgetQuery::new().instance(0))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(w.has_old_data(), Some(false), "{name}");
        mock.assert();

        let err = client
            .site(SITE)
            .widget(
                widget,
                &WidgetQuery::new().instance(0).window(sample_window()),
            )
            .unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{name}: {err:?}");
        assert!(err.to_string().contains(name), "{name}: {err}");
    }
    assert_eq!(client.counters().requests, summaries.len() as u64);
}

// ---- other named widgets ----------------------------------------------------------

#[test]
fn gps_widget() {
    let mut server = server();
    let mock = expect_get(
        &mut server,
        "/installations/151734/widgets/GPS",
        "",
        &fixture("widget_gps.json"),
    );
    let (client, _) = common::client(&server);
    let w = client
        .site(SITE)
        .widget(&Widget::Gps, &WidgetQuery::new())
        .unwrap();
    let attributes = &w.data["attributes"];
    assert_eq!(attributes["4"]["valueFloat"], Value::from("52.3495"));
    assert_eq!(
        attributes["5"]["formattedValue"],
        Value::from("5.21340 LNG")
    );
    assert_eq!(w.data["geofenceEnabled"], Value::from("0"));
    assert_eq!(w.data["geofence"], Value::Null);
    assert_eq!(
        w.meta_for("lt").and_then(|m| m.description.as_deref()),
        Some("Latitude")
    );
    assert_eq!(w.meta_for("lg").unwrap().unit().as_deref(), Some("LNG"));
    assert_eq!(w.summary("lt"), None); // GPS nests its attributes
    mock.assert();
}

#[test]
fn hours_of_ac_with_instance_and_window() {
    // The text doc spells it `HoursOfAC` (used here); both OpenAPI files
    // spell it `HoursOfAc`.
    let mut server = server();
    let mock = expect_get(
        &mut server,
        "/installations/151734/widgets/HoursOfAC",
        "instance=257&start=1776510000&end=1776517200",
        r#"{"success":true,"records":{"data":"12.5"}}"#,
    );
    let (client, _) = common::client(&server);
    let w = client
        .site(SITE)
        .widget(
            &Widget::HoursOfAc,
            &WidgetQuery::new().instance(257).window(sample_window()),
        )
        .unwrap();
    assert_eq!(w.data_text(), Some("12.5"));
    assert!(w.meta.is_empty());
    mock.assert();
}

#[test]
fn alarm_widget_with_null_data() {
    let mut server = server();
    let mock = expect_get(
        &mut server,
        "/installations/151734/widgets/Alarm",
        "",
        r#"{"success":true,"records":{"data":null,"alarms":[{"idAlarm":"7","enabled":1}]}}"#,
    );
    let (client, _) = common::client(&server);
    let w = client
        .site(SITE)
        .widget(&Widget::Alarm, &WidgetQuery::new())
        .unwrap();
    assert_eq!(w.data, Value::Null);
    assert_eq!(w.extra["alarms"][0]["idAlarm"], Value::from("7"));
    mock.assert();
}

// ---- any widget by name -----------------------------------------------------------

#[test]
fn other_widget_by_name_live_generator_state() {
    let mut server = server();
    let mock = expect_get(
        &mut server,
        "/installations/151734/widgets/GeneratorState",
        "instance=0&start=1776510000&end=1776517200",
        &fixture("widget_generator_state.json"),
    );
    let (client, _) = common::client(&server);
    let widget = Widget::Other("GeneratorState".into());
    assert_eq!(widget.kind(), WidgetKind::Other);
    let w = client
        .site(SITE)
        .widget(
            &widget,
            &WidgetQuery::new().instance(0).window(sample_window()),
        )
        .unwrap();
    assert_eq!(w.data, Value::Object(Map::new()));
    assert_eq!(w.attribute_id("gaRC"), Some("520"));
    assert_eq!(
        w.meta_for("gaRC").unwrap().description.as_deref(),
        Some("Generator run reason")
    );
    assert_eq!(w.enums["520"].len(), 11);
    assert_eq!(w.enum_name("gaRC", "0"), Some("Stopped"));
    assert_eq!(w.enum_name("gaRC", "10"), Some("Stop on AC-1"));
    assert!(w.state_changes("gaRC").is_empty());
    assert_eq!(w.extra["sort"]["520"]["10"], Value::from(10));
    assert_eq!(w.extra.get("buckets"), Some(&Value::Object(Map::new())));
    mock.assert();
}

#[test]
fn other_widget_parsed_from_a_name_without_parameters() {
    let mut server = server();
    let mock = expect_get(
        &mut server,
        "/installations/151734/widgets/DCMeter",
        "",
        r#"{"success":true,"records":{"data":{"hasOldData":false,"secondsAgo":{"value":"5"},
            "300":{"code":"dP","rawValue":"-12.5","formattedValue":"-12.5 W","instance":"40"}},
            "meta":{"300":{"code":"dP","description":"Power","formatWithUnit":"%.1F W"}},
            "attributeOrder":[300]}}"#,
    );
    let (client, _) = common::client(&server);
    let widget: Widget = "DCMeter".parse().unwrap();
    assert_eq!(widget, Widget::Other("DCMeter".into()));
    let w = client
        .site(SITE)
        .widget(&widget, &WidgetQuery::new())
        .unwrap();
    let power = w.summary("dP").unwrap();
    assert_eq!(power.value_f64(), Some(-12.5));
    assert_eq!(power.instance, Some(40));
    assert_eq!(w.seconds_ago(), Some(5));
    mock.assert();
}

#[test]
fn other_widget_names_are_checked_before_any_request() {
    let mut server = server();
    let nothing = server.mock("GET", Matcher::Any).expect(0).create();
    let (client, _) = common::client(&server);
    for name in [
        "",
        "Graph",
        "graph",
        "../users/me",
        "Status?instance=1",
        "a b",
    ] {
        let err = client
            .site(SITE)
            .widget(&Widget::Other(name.into()), &WidgetQuery::new())
            .unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{name:?}: {err:?}");
    }
    nothing.assert();
}
