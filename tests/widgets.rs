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
use vrm::models::{GraphPoint, StateChange, WidgetRecords};
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
    // The text doc spells it `HoursOfAC`; both OpenAPI files spell it
    // `HoursOfAc`, the name sent.
    let mut server = server();
    let mock = expect_get(
        &mut server,
        "/installations/151734/widgets/HoursOfAc",
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
    assert_eq!(widget, Widget::DcMeter);
    assert_eq!(widget.kind(), WidgetKind::Summary);
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

// ---- lenient, entry by entry: one odd entry never sinks an answer (issue 10) ------

/// The summary widgets, by the names in their URLs.
fn summary_widgets() -> [(Widget, &'static str); 9] {
    [
        (Widget::BatterySummary, "BatterySummary"),
        (Widget::BmsDiagnostics, "BMSDiagnostics"),
        (Widget::HistoricData, "HistoricData"),
        (Widget::IoExtenderInOut, "IOExtenderInOut"),
        (Widget::LithiumBms, "LithiumBMS"),
        (Widget::MotorSummary, "MotorSummary"),
        (Widget::PvInverterStatus, "PVInverterStatus"),
        (Widget::SolarChargerSummary, "SolarChargerSummary"),
        (Widget::Status, "Status"),
    ]
}

/// A summary answer shaped as the OpenAPI gives it (`hasOldData`,
/// `secondsAgo` and attributes 51 = SOC and 54 = Relay side by side in
/// `data`, one object per attribute in `meta`), as a value to edit.
fn summary_body() -> Value {
    serde_json::from_str(&fixture("widget_status_values.json")).unwrap()
}

/// Values of the kinds an entry is not: an integer, a string, `null`, a
/// list (and a float, a boolean).
fn odd_values() -> Vec<Value> {
    serde_json::from_str(r#"[512, "odd", null, [1, "x"], -1.5, true]"#).unwrap()
}

/// The values a field of an attribute entry is flipped to.
fn flips() -> Vec<Value> {
    serde_json::from_str(r#"[512, "odd", true, null, ["odd"], {"odd": 1}]"#).unwrap()
}

/// Serve `bodies` as the answers of widget `name` (body `i` for
/// `?instance=i`, each mock expected once) and fetch each one through the
/// public API.
fn fetch_all(widget: &Widget, name: &str, bodies: &[Value]) -> Vec<WidgetRecords> {
    let mut server = server();
    let path = format!("/installations/151734/widgets/{name}");
    let mocks: Vec<mockito::Mock> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            let query = format!("instance={i}");
            expect_get(&mut server, &path, &query, &body.to_string())
        })
        .collect();
    let (client, _) = common::client(&server);
    let out = (0..bodies.len())
        .map(|i| {
            let query = WidgetQuery::new().instance(u32::try_from(i).unwrap());
            client
                .site(SITE)
                .widget(widget, &query)
                .unwrap_or_else(|e| panic!("{name}, answer {i}: {e}"))
                .into_value()
        })
        .collect();
    for mock in mocks {
        mock.assert();
    }
    out
}

/// `field`, sent as `sent`, is not lost: it is kept as sent in `extra`
/// (and serializes back as sent), or read into its typed field (`typed` is
/// the entry serialized); only `null` may leave nothing.
fn assert_kept(typed: &Value, extra: &Map<String, Value>, field: &str, sent: &Value, at: &str) {
    match extra.get(field) {
        Some(kept) => {
            assert_eq!(kept, sent, "{at}");
            assert_eq!(typed[field], *sent, "{at}");
        }
        None => assert!(
            sent.is_null() || !typed[field].is_null(),
            "{at}: {sent} was lost"
        ),
    }
}

#[test]
fn issue_10_status_with_an_integer_meta_entry() {
    // Before: `invalid type: integer 512, expected struct AttributeMeta`.
    let mut body = summary_body();
    body["records"]["meta"]["999"] = Value::from(512);
    let mut server = server();
    let mock = expect_get(
        &mut server,
        "/installations/151734/widgets/Status",
        "instance=288",
        &body.to_string(),
    );
    let (client, _) = common::client(&server);
    let w = client
        .site(SITE)
        .widget(&Widget::Status, &WidgetQuery::new().instance(288))
        .unwrap();
    assert_eq!(w.unknown_meta.get("999"), Some(&Value::from(512)));
    assert_eq!(w.meta.len(), 2);
    assert_eq!(w.summary("SOC").unwrap().value_f64(), Some(87.5));
    assert_eq!(
        w.summary("Relay").unwrap().name_enum.as_deref(),
        Some("Open")
    );
    mock.assert();
}

#[test]
fn summary_widgets_keep_an_odd_meta_entry() {
    for (widget, name) in summary_widgets() {
        let bodies: Vec<Value> = odd_values()
            .into_iter()
            .map(|odd| {
                let mut body = summary_body();
                body["records"]["meta"]["999"] = odd;
                body
            })
            .collect();
        for (w, odd) in fetch_all(&widget, name, &bodies).iter().zip(odd_values()) {
            let at = format!("{name}, meta 999 = {odd}");
            assert_eq!(w.unknown_meta.get("999"), Some(&odd), "{at}");
            assert_eq!(w.unknown_meta.len(), 1, "{at}");
            assert_eq!(w.meta.len(), 2, "{at}");
            let soc = w.meta_for("SOC").unwrap();
            assert_eq!(soc.unit().as_deref(), Some("%"), "{at}");
            assert_eq!(w.attribute_id("Relay"), Some("54"), "{at}");
            assert_eq!(w.summary("SOC").unwrap().value_f64(), Some(87.5), "{at}");
            let relay = w.summary("Relay").unwrap();
            assert_eq!(relay.name_enum.as_deref(), Some("Open"), "{at}");
            assert_eq!(w.has_old_data(), Some(true), "{at}");
            // Serialized, the odd entry is back in `meta`, as sent.
            let out = serde_json::to_value(w).unwrap();
            assert_eq!(out["meta"]["999"], odd, "{at}");
            assert_eq!(out["meta"]["51"]["code"], "SOC", "{at}");
        }
    }
}

#[test]
fn summary_widgets_keep_an_odd_data_entry() {
    for (widget, name) in summary_widgets() {
        let bodies: Vec<Value> = odd_values()
            .into_iter()
            .map(|odd| {
                let mut body = summary_body();
                body["records"]["data"]["51"] = odd;
                body
            })
            .collect();
        for (w, odd) in fetch_all(&widget, name, &bodies).iter().zip(odd_values()) {
            let at = format!("{name}, data 51 = {odd}");
            // SOC's entry is no attribute: reachable as sent.
            assert_eq!(w.summary("SOC"), None, "{at}");
            assert_eq!(w.data_for("SOC"), Some(&odd), "{at}");
            let data = w.summary_data();
            assert_eq!(data.extra.get("51"), Some(&odd), "{at}");
            assert_eq!(data.extra.len(), 1, "{at}");
            // The rest is typed.
            assert_eq!(data.has_old_data, Some(true), "{at}");
            assert_eq!(data.seconds_ago.and_then(|a| a.value), Some(12), "{at}");
            let relay = w.summary("Relay").unwrap();
            assert_eq!(relay.value_enum, Some(0), "{at}");
            assert_eq!(data.attributes.keys().collect::<Vec<_>>(), ["54"], "{at}");
            assert_eq!(w.summaries(), [("54".to_owned(), relay.clone())], "{at}");
            assert_eq!(w.meta.len(), 2, "{at}");
        }
    }
}

#[test]
fn summary_widgets_read_has_old_data_and_seconds_ago_beside_the_attributes() {
    // As the OpenAPI has it, then as VRM may send it, then of the wrong kind.
    let cases: Vec<(Value, Value, Option<bool>, Option<i64>)> = vec![
        (
            Value::Bool(true),
            serde_json::json!({"value": "12", "valueFormattedWithUnit": "12s"}),
            Some(true),
            Some(12),
        ),
        (
            Value::from("0"),
            serde_json::json!({"value": 0, "valueFormattedWithUnit": "0s"}),
            Some(false),
            Some(0),
        ),
        (
            Value::from(1),
            serde_json::json!({"value": false}),
            Some(true),
            None,
        ),
        (serde_json::json!({"x": 1}), Value::from(512), None, None),
        (serde_json::json!(["odd"]), Value::from("odd"), None, None),
    ];
    for (widget, name) in summary_widgets() {
        let bodies: Vec<Value> = cases
            .iter()
            .map(|(old, age, _, _)| {
                let mut body = summary_body();
                body["records"]["data"]["hasOldData"] = old.clone();
                body["records"]["data"]["secondsAgo"] = age.clone();
                body
            })
            .collect();
        for (w, (old, age, has_old_data, seconds)) in
            fetch_all(&widget, name, &bodies).iter().zip(&cases)
        {
            let at = format!("{name}, hasOldData = {old}, secondsAgo = {age}");
            let data = w.summary_data();
            assert_eq!(data.has_old_data, *has_old_data, "{at}");
            assert_eq!(w.has_old_data(), *has_old_data, "{at}");
            assert_eq!(data.seconds_ago.is_some(), age.is_object(), "{at}");
            if let Some(typed) = &data.seconds_ago {
                assert_eq!(typed.value, *seconds, "{at}");
                assert_eq!(
                    typed.value_formatted_with_unit,
                    age.get("valueFormattedWithUnit")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    "{at}"
                );
                assert_eq!(w.seconds_ago(), *seconds, "{at}");
            }
            // Never read as attributes; kept as sent when of the wrong kind.
            assert_eq!(
                data.attributes.keys().collect::<Vec<_>>(),
                ["51", "54"],
                "{at}"
            );
            let ids: Vec<String> = w.summaries().into_iter().map(|(id, _)| id).collect();
            assert_eq!(ids, ["54", "51"], "{at}");
            assert_eq!(
                data.extra.get("hasOldData"),
                has_old_data.is_none().then_some(old),
                "{at}"
            );
            assert_eq!(
                data.extra.get("secondsAgo"),
                (!age.is_object()).then_some(age),
                "{at}"
            );
            assert_eq!(w.summary("SOC").unwrap().seconds_ago, Some(12), "{at}");
        }
    }
}

#[test]
fn summary_widgets_survive_type_flips_of_every_field_of_an_attribute() {
    // One answer per flip: beside SOC (51) and Relay (54), a copy of SOC's
    // data entry per field with that field flipped (ids 1000, 1001, …) and
    // a copy of its meta entry per field likewise (ids 2000, 2001, …, codes
    // SOC0, SOC1, …).
    let base = summary_body();
    let soc_data = &base["records"]["data"]["51"];
    let soc_meta = &base["records"]["meta"]["51"];
    let mut data_fields: Vec<&String> = soc_data.as_object().unwrap().keys().collect();
    let enum_values = "dataAttributeEnumValues".to_owned(); // SOC has none
    if !data_fields.contains(&&enum_values) {
        data_fields.push(&enum_values);
    }
    let meta_fields: Vec<&String> = soc_meta.as_object().unwrap().keys().collect();
    let bodies: Vec<Value> = flips()
        .into_iter()
        .map(|flip| {
            let mut body = base.clone();
            for (i, field) in data_fields.iter().enumerate() {
                let mut entry = soc_data.clone();
                entry[field.as_str()] = flip.clone();
                body["records"]["data"][(1000 + i).to_string()] = entry;
            }
            for (i, field) in meta_fields.iter().enumerate() {
                let mut entry = soc_meta.clone();
                entry["code"] = Value::from(format!("SOC{i}")); // not SOC's
                entry[field.as_str()] = flip.clone();
                body["records"]["meta"][(2000 + i).to_string()] = entry;
            }
            body
        })
        .collect();
    let plain: vrm::wire::WidgetResponse = serde_json::from_value(base.clone()).unwrap();
    let plain = plain.records;
    let soc = plain.summary("SOC").unwrap();
    let relay = plain.summary("Relay").unwrap();
    for (widget, name) in summary_widgets() {
        let answers = fetch_all(&widget, name, &bodies);
        for (w, flip) in answers.iter().zip(flips()) {
            // The untouched entries are typed as without the flips.
            assert_eq!(w.summary("SOC").as_ref(), Some(&soc), "{name}, {flip}");
            assert_eq!(w.summary("Relay").as_ref(), Some(&relay), "{name}, {flip}");
            assert_eq!(w.meta["51"], plain.meta["51"], "{name}, {flip}");
            assert_eq!(w.meta["54"], plain.meta["54"], "{name}, {flip}");
            assert!(w.unknown_meta.is_empty(), "{name}, {flip}");
            let data = w.summary_data();
            assert!(data.extra.is_empty(), "{name}, {flip}");
            assert_eq!(data.attributes.len(), 2 + data_fields.len());
            // Each flipped entry is typed, and its flipped value kept.
            for (i, field) in data_fields.iter().enumerate() {
                let at = format!("{name}, data {field} = {flip}");
                let id = (1000 + i).to_string();
                let entry = &data.attributes[&id];
                let typed = serde_json::to_value(entry).unwrap();
                assert_kept(&typed, &entry.extra, field, &flip, &at);
                assert_eq!(w.data[&id][field.as_str()], flip, "{at}"); // `data` as sent
                if field.as_str() != "code" {
                    assert_eq!(entry.code, "SOC", "{at}");
                }
                if !["valueFloat", "rawValue"].contains(&field.as_str()) {
                    assert_eq!(entry.value_f64(), Some(87.5), "{at}");
                }
            }
            for (i, field) in meta_fields.iter().enumerate() {
                let at = format!("{name}, meta {field} = {flip}");
                let entry = &w.meta[&(2000 + i).to_string()];
                let typed = serde_json::to_value(entry).unwrap();
                assert_kept(&typed, &entry.extra, field, &flip, &at);
                if field.as_str() != "formatWithUnit" {
                    assert_eq!(entry.unit().as_deref(), Some("%"), "{at}");
                }
            }
        }
    }
}

// ---- lenient, entry by entry: graphs and state widgets ----------------------------

#[test]
fn graph_keeps_odd_series_points_and_meta_entries() {
    let mut server = server();
    let mock = expect_get(
        &mut server,
        "/installations/151734/widgets/Graph",
        "attributeCodes%5B%5D=bs&attributeCodes%5B%5D=bv",
        r#"{"success":true,"records":{
            "data":{"143":[[1776512315,13.39],"x",[1776512375,13.65]],"144":512,"145":[[1776512315,99.8]]},
            "meta":{"143":{"code":"bv","formatWithUnit":"%.2F V"},"144":[1],"145":{"code":"bs"}},
            "instance":{"x":1}}}"#,
    );
    let (client, _) = common::client(&server);
    let graph = client
        .site(SITE)
        .graph(&GraphQuery::new(["bs", "bv"]))
        .unwrap();
    let bv = graph.series("bv").unwrap();
    assert_eq!(bv.len(), 2);
    assert_eq!((bv[0].value, bv[1].value), (Some(13.39), Some(13.65)));
    assert_eq!(graph.unknown_data["143"][1], "x"); // the series as sent
    assert_eq!(graph.unknown_data["144"], 512);
    assert!(!graph.data.contains_key("144"));
    assert_eq!(graph.series("bs").unwrap()[0].value, Some(99.8));
    assert_eq!(graph.unknown_meta["144"], serde_json::json!([1]));
    assert_eq!(graph.instance, None);
    assert_eq!(graph.extra["instance"]["x"], 1);
    assert_eq!(
        graph.by_code().keys().copied().collect::<Vec<_>>(),
        ["bs", "bv"]
    );
    mock.assert();
}

#[test]
fn state_widget_keeps_odd_entries_and_tuples() {
    let mut body: Value = serde_json::from_str(&fixture("widget_vebus_state.json")).unwrap();
    let records = &mut body["records"];
    records["data"]["40"]
        .as_array_mut()
        .unwrap()
        .insert(1, Value::from("odd"));
    records["data"]["41"] = Value::from(512);
    records["meta"]["41"] = serde_json::json!({"code": "ERR"});
    records["meta"]["42"] = Value::from("odd");
    records["enums"]["41"] = Value::from(7);
    let mut server = server();
    let mock = expect_get(
        &mut server,
        "/installations/151734/widgets/VeBusState",
        "instance=257",
        &body.to_string(),
    );
    let (client, _) = common::client(&server);
    let w = client
        .site(SITE)
        .widget(&Widget::VeBusState, &WidgetQuery::new().instance(257))
        .unwrap();
    assert_eq!(
        spans(&w.state_changes("S")),
        [
            (Some("9"), Some(1_776_500_000), Some(1_776_503_600)),
            (Some("3"), Some(1_776_503_600), Some(1_776_507_200)),
            (Some("9"), Some(1_776_507_200), None),
        ]
    );
    let data = w.state_data();
    assert_eq!(data.changes["40"], w.state_changes("S"));
    assert_eq!(data.unknown["40"][1], "odd"); // the entry as sent
    assert_eq!(data.unknown["41"], 512);
    assert!(w.state_changes("ERR").is_empty());
    assert_eq!(w.unknown_meta["42"], "odd");
    assert_eq!(w.unknown_enums["41"], 7);
    assert_eq!(w.enum_name("S", "9"), Some("Inverting"));
    mock.assert();
}

// ---- every widget of the spec ------------------------------------------------------

#[test]
fn hours_of_ac_as_the_doc_spells_it_is_sent_as_the_spec_does() {
    let mut server = server();
    let mock = expect_get(
        &mut server,
        "/installations/151734/widgets/HoursOfAc",
        "instance=0",
        r#"{"success":true,"records":{"data":"0.25"}}"#,
    );
    let wrong = server
        .mock("GET", "/installations/151734/widgets/HoursOfAC")
        .match_query(Matcher::Any)
        .expect(0)
        .create();
    let (client, _) = common::client(&server);
    let widget: Widget = "HoursOfAC".parse().unwrap();
    assert_eq!(widget, Widget::HoursOfAc);
    assert_eq!("hoursofac".parse::<Widget>().unwrap(), Widget::HoursOfAc);
    let w = client
        .site(SITE)
        .widget(&widget, &WidgetQuery::new().instance(0))
        .unwrap();
    assert_eq!(w.data_text(), Some("0.25"));
    mock.assert();
    wrong.assert();
}

/// The widget paths of both OpenAPI files (2025-04-22 and 2026-04), each
/// a named variant, spelled as the spec spells it, with the parameters
/// the spec gives it.
#[test]
fn every_spec_widget_is_named_and_sent_by_its_spec_name() {
    let state = [
        "GeneratorState",
        "InputState",
        "InverterState",
        "MPPTState",
        "ChargerState",
        "EssBatteryLifeState",
        "FuelCellState",
        "BatteryExternalRelayState",
        "BatteryRelayState",
        "BatteryMonitorWarningsAndAlarms",
        "GatewayRelayState",
        "GatewayRelayTwoState",
        "ChargerRelayState",
        "SolarChargerRelayState",
        "VeBusState",
        "VeBusWarningsAndAlarms",
        "InverterChargerState",
        "InverterChargerWarningsAndAlarms",
    ];
    let summary = [
        "BatterySummary",
        "BMSDiagnostics",
        "HistoricData",
        "IOExtenderInOut",
        "LithiumBMS",
        "DCMeter",
        "EvChargerSummary",
        "MeteorologicalSensor",
        "MeteorologicalSensorOverview",
        "GlobalLinkSummary",
        "MotorSummary",
        "PVInverterStatus",
        "SolarChargerSummary",
        "Status",
        "TankSummary",
        "TempSummaryAndGraph",
        "TempAirQuality",
    ];
    let other = ["Alarm", "GPS", "HoursOfAc"];
    assert_eq!(
        Widget::NAMED.len(),
        state.len() + summary.len() + other.len()
    );
    let mut server = server();
    let (client, _) = common::client(&server);
    for (names, kind) in [
        (&state[..], WidgetKind::State),
        (&summary[..], WidgetKind::Summary),
        (&other[..], WidgetKind::Other),
    ] {
        for name in names {
            let widget: Widget = name.parse().unwrap();
            assert!(!matches!(widget, Widget::Other(_)), "{name}");
            assert_eq!(widget.name(), *name);
            assert_eq!(widget.kind(), kind, "{name}");
            assert!(Widget::NAMED.contains(&widget), "{name}");
            let query = match kind {
                WidgetKind::Summary => "instance=3".to_owned(),
                _ => "instance=3&start=1776510000&end=1776517200".to_owned(),
            };
            let mock = expect_get(
                &mut server,
                &format!("/installations/151734/widgets/{name}"),
                &query,
                r#"{"success":true,"records":{"data":{"hasOldData":"0","7":{"code":"x","rawValue":"1.5"}},"meta":false}}"#,
            );
            let mut q = WidgetQuery::new().instance(3);
            if kind != WidgetKind::Summary {
                q = q.window(sample_window());
            }
            let w = client
                .site(SITE)
                .widget(&widget, &q)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(w.meta.is_empty(), "{name}");
            mock.assert();
            mock.remove();
        }
    }
}

#[test]
fn graph_with_ids_width_points_per_pixel_and_min_max() {
    let mut server = server();
    let mock = expect_get(
        &mut server,
        "/installations/151734/widgets/Graph",
        "attributeCodes%5B%5D=bs&attributeIds%5B%5D=81&attributeIds%5B%5D=143&instance=1\
         &start=1776510000&end=1776517200&width=400&pointsPerPixel=0.5&useMinMax=1",
        &fixture("widget_graph_bs_bv.json"),
    );
    let (client, _) = common::client(&server);
    let query = GraphQuery::new(["bs"])
        .attribute_ids([81, 143])
        .instance(1)
        .window(sample_window())
        .width(400)
        .points_per_pixel(0.5)
        .use_min_max(true);
    let graph = client.site(SITE).graph(&query).unwrap();
    assert!(!graph.by_code().is_empty());
    mock.assert();

    // Ids alone are enough; useMinMax=0 is sent as such.
    let mock = expect_get(
        &mut server,
        "/installations/151734/widgets/Graph",
        "attributeIds%5B%5D=81&useMinMax=0",
        r#"{"success":true,"records":{"data":{"81":[[1776510000,"50.5"]]},"meta":{"81":{"code":"bs","description":"Battery SOC","formatWithUnit":"%.1F %%"}}}}"#,
    );
    client
        .site(SITE)
        .graph(
            &GraphQuery::new(Vec::<String>::new())
                .attribute_ids([81])
                .use_min_max(false),
        )
        .unwrap();
    mock.assert();
}

#[test]
fn graph_options_are_checked_before_any_request() {
    let mut server = server();
    let nothing = server.mock("GET", Matcher::Any).expect(0).create();
    let (client, _) = common::client(&server);
    for query in [
        GraphQuery::new(Vec::<String>::new()),
        GraphQuery::new(["bs"]).points_per_pixel(0.0),
        GraphQuery::new(["bs"]).points_per_pixel(f64::NAN),
        GraphQuery::new(["bs"]).points_per_pixel(-1.0),
        GraphQuery::new(["bs"]).width(0),
    ] {
        let err = client.site(SITE).graph(&query).unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{query:?}: {err:?}");
    }
    nothing.assert();
}
