//! One installation: system-overview, diagnostics, tags, gps-download (KML,
//! not JSON) and data-download (base64-encoded file).
//!
//! Every mock pins the method, the path, the exact query and the
//! `X-Authorization` header, and expects to be hit exactly once.

mod common;

use common::{NOW, expect_get, fixture, server, token_header};
use mockito::Matcher;
use serde_json::{Value, json};
use time::OffsetDateTime;
use vrm::models::GpsDownloadResponse;
use vrm::models::Tag;
use vrm::{DownloadData, DownloadFormat, Error, SiteId, Source, TimeWindow};

const SITE: SiteId = SiteId(151_734);

/// No query string at all.
fn no_query() -> Matcher {
    Matcher::Exact(String::new())
}

/// 2026-11-24 11:35:23 .. 2026-11-25 11:59:59, rounded to
/// 1795518000..1795608000 (whole hours).
fn day() -> TimeWindow {
    TimeWindow::from_unix(1_795_520_123, 1_795_607_999).unwrap()
}

const DAY_QUERY: &str = "start=1795518000&end=1795608000";

// ---- system-overview --------------------------------------------------------------

#[test]
fn system_overview_live_sample() {
    let mut server = server();
    let mock = server
        .mock("GET", "/installations/151734/system-overview")
        .match_query(no_query())
        .match_header("x-authorization", token_header().as_str())
        .with_body(fixture("system_overview.json"))
        .expect(1)
        .create();
    let (client, _) = common::client(&server);
    let overview = client.site(SITE).system_overview().unwrap();
    assert_eq!(overview.source(), Source::Network);
    assert_eq!(overview.requests(), 1);
    assert_eq!(
        overview.fetched_at(),
        OffsetDateTime::from_unix_timestamp(NOW).unwrap()
    );

    assert_eq!(overview.devices.len(), 9);
    // Missing in the live sample → empty.
    assert!(overview.unconfigured_devices.is_empty());
    assert!(overview.extra.is_empty());
    let names: Vec<&str> = overview
        .devices
        .iter()
        .filter_map(|d| d.name.as_deref())
        .collect();
    assert_eq!(
        names,
        [
            "Gateway",
            "VE.Bus System",
            "Battery Monitor",
            "Solar Charger",
            "Tank",
            "Tank",
            "Temperature sensor",
            "Temperature sensor",
            "DC System"
        ]
    );
    let instances: Vec<Option<u32>> = overview.devices.iter().map(|d| d.instance).collect();
    assert_eq!(
        instances,
        [
            None,
            Some(257),
            Some(288),
            Some(256),
            Some(20),
            Some(21),
            Some(24),
            Some(25),
            Some(40)
        ]
    );
    assert!(
        overview
            .devices
            .iter()
            .all(|d| d.id_site == Some(SITE) && d.last_connection == Some(1_776_515_873))
    );

    let gw = overview.gateway().unwrap();
    assert_eq!(gw.product_name.as_deref(), Some("Cerbo GX"));
    assert_eq!(gw.product_code.as_deref(), Some("C00A"));
    assert_eq!(gw.custom_name, None); // `null`
    assert_eq!(gw.firmware_version.as_deref(), Some("v3.72"));
    assert_eq!(gw.logging_interval, Some(60));
    assert_eq!(gw.last_power_up_or_restart, Some(1_774_923_378));
    assert_eq!(gw.identifier, None);
    assert!(gw.settings.is_empty());
    // Unknown fields kept.
    assert_eq!(gw.extra.get("remoteSupportPort"), Some(&Value::from(26318)));
    assert_eq!(gw.extra.get("guiV2Status"), Some(&Value::from("Online")));
    assert_eq!(gw.extra.get("vncSshAuth"), Some(&Value::Bool(true)));

    let vebus = &overview.devices[1];
    assert_eq!(vebus.custom_name.as_deref(), Some(""));
    assert_eq!(vebus.display_name(), Some("MultiPlus 12/3000/120-50"));
    assert_eq!(vebus.id_device_type, Some(1));
    assert_eq!(vebus.firmware_version.as_deref(), Some("2600482"));
    assert_eq!(vebus.extra["vid"]["devicesPerPhase"]["L1"], Value::from(1));

    let tanks: Vec<&str> = overview
        .devices_of_type(5)
        .filter_map(|d| d.display_name())
        .collect();
    assert_eq!(tanks, ["Fresh water tank", "Diesel tank"]);
    mock.assert();
}

#[test]
fn system_overview_doc_sample_and_quirks() {
    let mut server = server();
    let doc = server
        .mock("GET", "/installations/1039/system-overview")
        .match_query(no_query())
        .match_header("x-authorization", token_header().as_str())
        .with_body(fixture("system_overview_doc.json"))
        .expect(1)
        .create();
    let quirky = server
        .mock("GET", "/installations/3/system-overview")
        .match_query(no_query())
        .match_header("x-authorization", token_header().as_str())
        .with_body(
            json!({"success": true, "records": {
                "devices": [{"name": "Gateway", "lastConnection": "1505459195",
                    "loggingInterval": false, "instance": "7", "idSite": "3",
                    "settings": false, "productId": false}],
                "unconfigured_devices": [{"name": "Solar Charger", "productCode": "a04c", "instance": 1}],
                "newThing": true
            }})
            .to_string(),
        )
        .expect(1)
        .create();
    let (client, _) = common::client(&server);

    let o = client.site(SiteId(1039)).system_overview().unwrap();
    assert_eq!(o.devices.len(), 2);
    assert!(o.unconfigured_devices.is_empty()); // `false`
    assert_eq!(o.devices[0].product_name.as_deref(), Some("Venus GX"));
    assert_eq!(o.devices[0].firmware_version.as_deref(), Some("v2.09"));
    assert_eq!(o.devices[0].last_connection, Some(1_505_459_195));
    assert_eq!(o.devices[0].last_power_up_or_restart, Some(1_504_551_552));
    assert_eq!(o.devices[1].class, None); // `null`
    assert_eq!(o.devices[1].instance, Some(23));

    let o = client.site(SiteId(3)).system_overview().unwrap();
    let d = &o.devices[0];
    assert_eq!(d.last_connection, Some(1_505_459_195));
    assert_eq!(d.logging_interval, None);
    assert_eq!(d.instance, Some(7));
    assert_eq!(d.id_site, Some(SiteId(3)));
    assert!(d.settings.is_empty());
    assert_eq!(d.extra.get("productId"), Some(&Value::Bool(false)));
    let unconfigured = o.unconfigured();
    assert_eq!(unconfigured.len(), 1);
    assert_eq!(unconfigured[0].product_code.as_deref(), Some("a04c"));
    assert_eq!(o.extra.get("newThing"), Some(&Value::Bool(true)));
    doc.assert();
    quirky.assert();
}

// ---- diagnostics ------------------------------------------------------------------

#[test]
fn diagnostics_with_count() {
    let mut server = server();
    let mock = expect_get(
        &mut server,
        "/installations/1495/diagnostics",
        "count=1000",
        &fixture("diagnostics.json"),
    );
    let (client, _) = common::client(&server);
    let records = client.site(SiteId(1495)).diagnostics(1000).unwrap();
    assert_eq!(records.requests(), 1);
    assert_eq!(records.len(), 3);

    let gw = &records[0];
    assert_eq!(gw.id_site, Some(SiteId(1495)));
    assert_eq!(gw.timestamp, Some(1_497_056_046));
    assert_eq!(gw.device.as_deref(), Some("Gateway"));
    assert_eq!(gw.instance, Some(0));
    assert_eq!(gw.id_data_attribute, Some(1));
    assert_eq!(gw.code.as_deref(), Some("d"));
    assert_eq!(gw.description.as_deref(), Some("gatewayID"));
    assert_eq!(gw.bitmask, Some(false)); // `0`
    assert_eq!(gw.data_attribute_enum_values.len(), 3);
    assert_eq!(gw.enum_text(), Some("Venus")); // rawValue "1"
    assert_eq!(gw.id, Some(1));

    let bv = &records[1];
    assert_eq!(bv.device.as_deref(), Some("System overview"));
    assert_eq!(bv.code.as_deref(), Some("bv"));
    assert_eq!(bv.raw_f64(), Some(13.38));
    assert_eq!(bv.formatted_value.as_deref(), Some("13.38 V"));
    assert_eq!(bv.dbus_service_type.as_deref(), Some("system"));
    assert_eq!(bv.dbus_path.as_deref(), Some("/Dc/Battery/Voltage"));
    assert!(bv.data_attribute_enum_values.is_empty()); // missing
    assert_eq!(bv.extra.get("unknownField"), Some(&Value::from("kept")));

    // Every number as a string, and `false` for the enum list.
    let fw = &records[2];
    assert_eq!(fw.id_site, Some(SiteId(1495)));
    assert_eq!(fw.timestamp, Some(1_497_056_046));
    assert_eq!(fw.time().map(|t| t.unix_timestamp()), Some(1_497_056_046));
    assert_eq!(fw.instance, Some(0));
    assert_eq!(fw.id_data_attribute, Some(2));
    assert_eq!(fw.bitmask, Some(false));
    assert_eq!(fw.raw_value, Some(Value::from("v2.80")));
    assert_eq!(fw.raw_f64(), None);
    assert!(fw.data_attribute_enum_values.is_empty());
    assert_eq!(fw.id, Some(3));
    mock.assert();
}

#[test]
fn diagnostics_false_is_empty_and_count_zero_sends_nothing() {
    let mut server = server();
    let mock = expect_get(
        &mut server,
        "/installations/151734/diagnostics",
        "count=1",
        r#"{"success":true,"records":false,"num_records":0}"#,
    );
    let (client, _) = common::client(&server);
    assert!(client.site(SITE).diagnostics(1).unwrap().is_empty());
    let err = client.site(SITE).diagnostics(0).unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    assert_eq!(client.counters().requests, 1);
    mock.assert();
}

// ---- tags -------------------------------------------------------------------------

#[test]
fn tags_grouped_by_source() {
    let mut server = server();
    let mock = server
        .mock("GET", "/installations/151734/tags")
        .match_query(no_query())
        .match_header("x-authorization", token_header().as_str())
        .with_body(fixture("tags.json"))
        .expect(1)
        .create();
    let (client, _) = common::client(&server);
    let tags = client.site(SITE).tags().unwrap();
    assert_eq!(tags.requests(), 1);
    assert_eq!(tags.len(), 5);
    assert_eq!(Tag::names_from(&tags, "predefined"), ["No alarm"]);
    assert_eq!(Tag::names_from(&tags, "group"), ["foo"]);
    assert_eq!(Tag::names_from(&tags, "team"), ["bar"]);
    assert_eq!(Tag::names_from(&tags, "user"), ["baz", "demo"]);
    let grouped = Tag::by_source(&tags);
    assert_eq!(
        grouped.keys().copied().collect::<Vec<_>>(),
        ["group", "predefined", "team", "user"]
    );
    assert!(tags.iter().all(|t| t.id_tag.is_none()));
    mock.assert();
}

#[test]
fn tags_quirks_list_of_objects_and_false() {
    let mut server = server();
    let list = server
        .mock("GET", "/installations/1/tags")
        .match_query(no_query())
        .match_header("x-authorization", token_header().as_str())
        .with_body(
            r#"{"success":true,"tags":[{"idTag":"41","name":"ok","automatic":1,"color":"red"},"plain",null,false]}"#,
        )
        .expect(1)
        .create();
    let none = server
        .mock("GET", "/installations/2/tags")
        .match_query(no_query())
        .match_header("x-authorization", token_header().as_str())
        .with_body(r#"{"success":true,"tags":false}"#)
        .expect(1)
        .create();
    let (client, _) = common::client(&server);
    let tags = client.site(SiteId(1)).tags().unwrap();
    assert_eq!(tags.len(), 2);
    let ok = &tags[0];
    assert_eq!(ok.id_tag, Some(41));
    assert_eq!(ok.name, "ok");
    assert_eq!(ok.automatic, Some(true));
    assert_eq!(ok.source, None);
    assert_eq!(ok.extra.get("color"), Some(&Value::from("red")));
    assert_eq!(tags[1].name, "plain");
    assert!(client.site(SiteId(2)).tags().unwrap().is_empty());
    list.assert();
    none.assert();
}

// ---- gps-download -----------------------------------------------------------------

#[test]
fn gps_download_returns_the_kml_text() {
    let kml = fixture("gps_download.kml");
    let mut server = server();
    let mock = server
        .mock("GET", "/installations/151734/gps-download")
        .match_query(Matcher::Exact(DAY_QUERY.into()))
        .match_header("x-authorization", token_header().as_str())
        .with_header("content-type", "application/vnd.google-earth.kml+xml")
        .with_body(&kml)
        .expect(1)
        .create();
    let (client, _) = common::client(&server);
    let gps = client.site(SITE).gps_download(day()).unwrap();
    assert_eq!(gps.requests(), 1);
    assert_eq!(gps.source(), Source::Network);
    let text = gps.kml().expect("kml");
    assert_eq!(text, kml.trim());
    assert!(text.starts_with(r#"<?xml version="1.0" encoding="UTF-8"?>"#));
    assert!(text.contains("<name>Installation 151734</name>"));
    assert!(
        text.contains(
            "<coordinates>5.2133,52.3495,0 5.2414,52.3495,0 5.2415,52.3359,0</coordinates>"
        )
    );
    mock.assert();
}

#[test]
fn gps_download_keeps_kml_whose_descriptions_hold_html() {
    let kml = r#"<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><description><![CDATA[<html><body><b>Track</b></body></html>]]></description></Placemark></Document></kml>"#;
    let mut server = server();
    server
        .mock("GET", "/installations/151734/gps-download")
        .match_query(Matcher::Exact(DAY_QUERY.into()))
        .with_body(kml)
        .create();
    let (client, _) = common::client(&server);
    let gps = client.site(SITE).gps_download(day()).unwrap();
    assert_eq!(gps.kml(), Some(kml));
}

#[test]
fn gps_download_wrapped_in_json() {
    let mut server = server();
    let kml = expect_get(
        &mut server,
        "/installations/1/gps-download",
        DAY_QUERY,
        r#"{"success":true,"data":"<kml><Document\/><\/kml>"}"#,
    );
    let records = expect_get(
        &mut server,
        "/installations/2/gps-download",
        DAY_QUERY,
        r#"{"success":true,"records":[{"lat":52.1,"lng":5.2,"timestamp":1795520000}]}"#,
    );
    let (client, _) = common::client(&server);
    let gps = client.site(SiteId(1)).gps_download(day()).unwrap();
    assert_eq!(gps.kml(), Some("<kml><Document/></kml>"));
    let gps = client.site(SiteId(2)).gps_download(day()).unwrap();
    assert_eq!(gps.kml(), None);
    assert_eq!(
        *gps.value(),
        GpsDownloadResponse::Records(
            json!([{"lat": 52.1, "lng": 5.2, "timestamp": 1_795_520_000}])
        )
    );
    kml.assert();
    records.assert();
}

#[test]
fn gps_download_html_page_with_status_200_is_a_decode_error() {
    let mut server = server();
    let mock = server
        .mock("GET", "/installations/151734/gps-download")
        .match_query(Matcher::Exact(DAY_QUERY.into()))
        .match_header("x-authorization", token_header().as_str())
        .with_header("content-type", "text/html")
        .with_body("\n<!DOCTYPE html>\n<html><head><title>Log in</title></head><body>Please log in</body></html>")
        .expect(1)
        .create();
    let (client, _) = common::client(&server);
    match client.site(SITE).gps_download(day()) {
        Err(Error::Decode(e)) => {
            assert_eq!(e.endpoint, "installations/{idSite}/gps-download");
            assert_eq!(e.status, 200);
            assert!(e.snippet.contains("<!DOCTYPE html>"), "{e:?}");
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
    mock.assert();
}

#[test]
fn gps_download_success_false_is_an_api_error() {
    let mut server = server();
    let mock = expect_get(
        &mut server,
        "/installations/151734/gps-download",
        DAY_QUERY,
        r#"{"success":false,"errors":"No GPS data","error_code":"no_data"}"#,
    );
    let (client, _) = common::client(&server);
    let err = client.site(SITE).gps_download(day()).unwrap_err();
    assert!(matches!(err, Error::Api(_)), "{err:?}");
    let api = err.api_error().unwrap();
    assert_eq!(api.status, 200);
    assert_eq!(api.endpoint, "installations/{idSite}/gps-download");
    assert_eq!(api.error_code.as_deref(), Some("no_data"));
    assert_eq!(api.errors, ["No GPS data"]);
    mock.assert();
}

// ---- data-download ----------------------------------------------------------------

#[test]
fn data_download_decodes_the_base64_file() {
    let mut server = server();
    let mock = server
        .mock("GET", "/installations/151734/data-download")
        .match_query(Matcher::Exact(format!(
            "{DAY_QUERY}&format=csv&datatype=log"
        )))
        .match_header("x-authorization", token_header().as_str())
        .with_body(fixture("data_download.json"))
        .expect(1)
        .create();
    let (client, _) = common::client(&server);
    let file = client
        .site(SITE)
        .data_download(day(), DownloadFormat::Csv, DownloadData::Log)
        .unwrap();
    assert_eq!(file.requests(), 1);
    assert_eq!(file.source(), Source::Network);
    assert_eq!(file.as_slice(), b"timestamp,bv\n1441066216,13.38\n");
    mock.assert();
}

#[test]
fn data_download_binary_xls_with_php_escaped_slashes() {
    // An XLSX starts "PK\x03\x04"; PHP's json_encode escapes '/' as "\/".
    let bytes: &[u8] = &[0xfb, 0xff, 0xbf, 0x3e, 0x00, 0x50, 0x4b, 0x03, 0x04];
    let mut server = server();
    let mock = server
        .mock("GET", "/installations/151734/data-download")
        .match_query(Matcher::Exact(format!(
            "{DAY_QUERY}&format=xls&datatype=kwh"
        )))
        .match_header("x-authorization", token_header().as_str())
        .with_body(r#""+\/+\/PgBQ\r\nSwME""#)
        .expect(1)
        .create();
    let (client, _) = common::client(&server);
    let file = client
        .site(SITE)
        .data_download(day(), DownloadFormat::Xls, DownloadData::Kwh)
        .unwrap();
    assert_eq!(file.into_value(), bytes);
    mock.assert();
}

#[test]
fn data_download_bare_base64_text() {
    let mut server = server();
    let mock = server
        .mock("GET", "/installations/151734/data-download")
        .match_query(Matcher::Exact(format!(
            "{DAY_QUERY}&format=csv&datatype=kwh"
        )))
        .match_header("x-authorization", token_header().as_str())
        .with_header("content-type", "text/plain")
        .with_body("dGltZXN0YW1wLGJ2CjE0NDEw\r\nNjYyMTYsMTMuMzgK\n")
        .expect(1)
        .create();
    let (client, _) = common::client(&server);
    let file = client
        .site(SITE)
        .data_download(day(), DownloadFormat::Csv, DownloadData::Kwh)
        .unwrap();
    assert_eq!(file.as_slice(), b"timestamp,bv\n1441066216,13.38\n");
    mock.assert();
}

#[test]
fn data_download_not_base64_is_a_decode_error() {
    let mut server = server();
    let bodies = [
        r#"{"success":true,"data":"this is *not* base64!"}"#,
        "<!DOCTYPE html><html><body>Gateway Timeout</body></html>",
        // The export was e-mailed instead: no file in the answer.
        r#"{"success":true}"#,
    ];
    let mocks: Vec<_> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            server
                .mock(
                    "GET",
                    format!("/installations/{}/data-download", i + 1).as_str(),
                )
                .match_query(Matcher::Exact(format!(
                    "{DAY_QUERY}&format=csv&datatype=log"
                )))
                .match_header("x-authorization", token_header().as_str())
                .with_body(*body)
                .expect(1)
                .create()
        })
        .collect();
    let (client, _) = common::client(&server);
    for (i, body) in bodies.iter().enumerate() {
        let result = client.site(SiteId(i as u64 + 1)).data_download(
            day(),
            DownloadFormat::Csv,
            DownloadData::Log,
        );
        match result {
            Err(Error::Decode(e)) => {
                assert_eq!(e.endpoint, "installations/{idSite}/data-download");
                assert_eq!(e.status, 200);
                assert!(
                    e.snippet.starts_with(&body[..10]),
                    "{body}: snippet {:?}",
                    e.snippet
                );
            }
            other => panic!("expected a decode error for {body}, got {other:?}"),
        }
    }
    for mock in mocks {
        mock.assert();
    }
}

#[test]
fn data_download_success_false_is_an_api_error() {
    let mut server = server();
    let mock = server
        .mock("GET", "/installations/151734/data-download")
        .match_query(Matcher::Exact(format!(
            "{DAY_QUERY}&format=csv&datatype=log"
        )))
        .match_header("x-authorization", token_header().as_str())
        .with_body(
            r#"{"success":false,"errors":["Period too long for an export"],"error_code":"invalid_period"}"#,
        )
        .expect(1)
        .create();
    let (client, _) = common::client(&server);
    let err = client
        .site(SITE)
        .data_download(day(), DownloadFormat::Csv, DownloadData::Log)
        .unwrap_err();
    match &err {
        Error::Api(api) => {
            assert_eq!(api.status, 200);
            assert_eq!(api.endpoint, "installations/{idSite}/data-download");
            assert_eq!(api.error_code.as_deref(), Some("invalid_period"));
            assert_eq!(api.errors, ["Period too long for an export"]);
        }
        other => panic!("expected an api error, got {other:?}"),
    }
    mock.assert();
}

// ---- data-download: the 2026 spec's formats and datatypes, raw bodies --------------

#[test]
fn data_download_every_format_and_datatype_is_sent_by_its_spec_name() {
    let mut server = server();
    let (client, _) = common::client(&server);
    let formats = [
        (DownloadFormat::Csv, "csv"),
        (DownloadFormat::ExcelXml, "excelxml"),
        (DownloadFormat::Xls, "xls"),
        (DownloadFormat::Xlsx, "xlsx"),
        (DownloadFormat::Html, "html"),
    ];
    let datatypes = [
        (DownloadData::Log, "log"),
        (DownloadData::Benchmark, "benchmark"),
        (DownloadData::Kwh, "kwh"),
    ];
    assert_eq!(DownloadFormat::ALL.len(), formats.len());
    assert_eq!(DownloadData::ALL.len(), datatypes.len());
    for (format, fname) in formats {
        assert_eq!(fname.parse::<DownloadFormat>().unwrap(), format);
        for (data, dname) in datatypes {
            assert_eq!(dname.to_uppercase().parse::<DownloadData>().unwrap(), data);
            let mock = expect_get(
                &mut server,
                "/installations/151734/data-download",
                &format!("{DAY_QUERY}&format={fname}&datatype={dname}"),
                r#"{"success":true,"data":"aGk="}"#,
            );
            let file = client
                .site(SITE)
                .data_download(day(), format, data)
                .unwrap_or_else(|e| panic!("{fname} {dname}: {e}"));
            assert_eq!(file.as_slice(), b"hi");
            mock.assert();
            mock.remove();
        }
    }
    let e = "ods".parse::<DownloadFormat>().unwrap_err();
    assert!(e.to_string().contains("xlsx"), "{e}");
    let e = "logs".parse::<DownloadData>().unwrap_err();
    assert!(e.to_string().contains("benchmark"), "{e}");
}

#[test]
fn data_download_raw_csv_body_is_the_file() {
    let csv = "\u{feff}\"Date\",\"Battery voltage\",\"Battery SOC\"\n2026-12-01 10:00:00,\"13.38\",55\n\
               2026-12-01 11:00:00,,\"\"\n";
    let mut server = server();
    let mock = server
        .mock("GET", "/installations/151734/data-download")
        .match_query(Matcher::Exact(format!(
            "{DAY_QUERY}&format=csv&datatype=log"
        )))
        .match_header("x-authorization", token_header().as_str())
        .with_header("content-type", "text/csv; charset=utf-8")
        .with_body(csv)
        .expect(1)
        .create();
    let (client, _) = common::client(&server);
    let file = client
        .site(SITE)
        .data_download(day(), DownloadFormat::Csv, DownloadData::Log)
        .unwrap();
    assert_eq!(file.as_slice(), csv.as_bytes());
    mock.assert();
}

#[test]
fn data_download_raw_xlsx_xls_excelxml_and_html_bodies() {
    let xlsx: &[u8] = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xff\xfe";
    let xls: &[u8] = &[0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0x00, 0x3e];
    let xml: &[u8] = b"<?xml version=\"1.0\"?>\n<Workbook xmlns=\"urn:schemas-microsoft-com:office:spreadsheet\"/>";
    let html: &[u8] = b"<table><tr><td>13.38</td></tr></table>";
    let mut server = server();
    let (client, _) = common::client(&server);
    for (format, name, body) in [
        (DownloadFormat::Xlsx, "xlsx", xlsx),
        (DownloadFormat::Xls, "xls", xls),
        (DownloadFormat::ExcelXml, "excelxml", xml),
        (DownloadFormat::Html, "html", html),
    ] {
        let mock = server
            .mock("GET", "/installations/151734/data-download")
            .match_query(Matcher::Exact(format!(
                "{DAY_QUERY}&format={name}&datatype=kwh"
            )))
            .with_body(body)
            .expect(1)
            .create();
        let file = client
            .site(SITE)
            .data_download(day(), format, DownloadData::Kwh)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(file.as_slice(), body, "{name}");
        mock.assert();
        mock.remove();
    }
    // A zip is no CSV, an HTML error page no XLSX: decode errors.
    for (format, name, body) in [
        (
            DownloadFormat::Csv,
            "csv",
            &b"<!DOCTYPE html><html>502</html>"[..],
        ),
        (DownloadFormat::Xlsx, "xlsx", html),
    ] {
        let mock = server
            .mock("GET", "/installations/151734/data-download")
            .match_query(Matcher::Exact(format!(
                "{DAY_QUERY}&format={name}&datatype=log"
            )))
            .with_body(body)
            .expect(1)
            .create();
        let e = client
            .site(SITE)
            .data_download(day(), format, DownloadData::Log)
            .unwrap_err();
        assert!(matches!(e, Error::Decode(_)), "{name}: {e:?}");
        mock.assert();
        mock.remove();
    }
}

#[test]
fn data_download_by_email_sends_async_and_is_never_cached() {
    let mut server = server();
    common::mock_me(&mut server, 22);
    let cache = vrm::Cache::in_memory().unwrap();
    let mock = server
        .mock("GET", "/installations/151734/data-download")
        .match_query(Matcher::Exact(format!(
            "{DAY_QUERY}&format=xlsx&datatype=benchmark&async=1"
        )))
        .match_header("x-authorization", token_header().as_str())
        .with_body(r#"{"success":"1"}"#)
        .expect(2)
        .create();
    let (client, _) = common::cached_client(&server, &cache);
    for _ in 0..2 {
        let started = client
            .site(SITE)
            .data_download_by_email(day(), DownloadFormat::Xlsx, DownloadData::Benchmark)
            .unwrap();
        assert!(*started.value());
    }
    mock.assert();
}

// ---- diagnostics paging -----------------------------------------------------------

#[test]
fn diagnostics_page_sends_count_and_page() {
    let mut server = server();
    let mock = expect_get(
        &mut server,
        "/installations/151734/diagnostics",
        "count=2&page=3",
        r#"{"success":true,"num_records":"7","records":[
            {"idSite":151734,"timestamp":"1795607000","Device":"Gateway","instance":"0",
             "idDataAttribute":"1","description":"VRM Portal ID","formatWithUnit":"%s",
             "dbusServiceType":null,"dbusPath":null,"code":"a","bitmask":0,
             "formattedValue":"abc","rawValue":"abc","id":"11"},
            {"idSite":"151734","timestamp":1795607001,"Device":"Battery Monitor","instance":258,
             "idDataAttribute":81,"description":"Voltage","formatWithUnit":"%.2F V",
             "code":"V","bitmask":"0","formattedValue":"13.38 V","rawValue":13.38,"id":12,
             "dataAttributeEnumValues":false}
        ]}"#,
    );
    let (client, _) = common::client(&server);
    let page = client.site(SITE).diagnostics_page(2, 3).unwrap();
    assert_eq!(page.page, 3);
    assert_eq!(page.num_records, Some(7));
    assert!(page.has_more(2)); // 6 < 7
    assert!(!page.has_more(3));
    assert_eq!(page.records.len(), 2);
    assert_eq!(page.records[1].code.as_deref(), Some("V"));
    assert_eq!(page.records[1].instance, Some(258));
    mock.assert();

    let none = common::no_request(&mut server);
    for (count, page) in [(0, 1), (10, 0)] {
        let e = client.site(SITE).diagnostics_page(count, page).unwrap_err();
        assert!(matches!(e, Error::InvalidInput(_)), "{e:?}");
    }
    common::assert_no_request(&none);
}

// ---- installation-overview-download -----------------------------------------------

fn overview_body() -> vrm::OverviewDownload {
    vrm::OverviewDownload::new([SITE, SiteId(22)])
        .column("name", vrm::OverviewColumn::new("Installation name", true))
        .column(
            "batteryVoltage",
            vrm::OverviewColumn::new("Battery Voltage", false).hide(true),
        )
        .only_visible(true)
}

#[test]
fn overview_download_json_rows() {
    let mut server = server();
    let mock = common::expect_write(
        &mut server,
        "POST",
        "/installation-overview-download",
        json!({
            "columns": {
                "name": {"header": "Installation name", "enabled": true},
                "batteryVoltage": {"header": "Battery Voltage", "enabled": false, "hide": true}
            },
            "siteIds": [151734, 22],
            "onlyVisible": true,
            "jsonResponse": true
        }),
        r#"{"success":true,"data":{
            "151734":{"Installation name":"Boat \u00e9","Battery Voltage":"50.00 V","Battery %":"100.0 %","Last Update":"2026-12-01T10:00:00+00:00"},
            "22":{"Installation name":"Demo","Load":null},
            "7":false}}"#,
    );
    let (client, _) = common::client(&server);
    let overview = client
        .installation_overview_download(&overview_body().json(true))
        .unwrap();
    let rows: Vec<_> = overview.rows().collect();
    assert_eq!(rows.len(), 2); // the `false` row is passed over
    assert_eq!(rows[0].0, "151734");
    assert_eq!(rows[0].1["Battery Voltage"], Value::from("50.00 V"));
    assert_eq!(rows[1].1["Load"], Value::Null);
    assert!(overview.file().is_none());
    mock.assert();
}

#[test]
fn overview_download_xlsx_file() {
    let xlsx: &[u8] = b"PK\x03\x04\x14\x00\x06\x00rest-of-zip";
    let mut server = server();
    let mock = server
        .mock("POST", "/installation-overview-download")
        .match_body(Matcher::PartialJson(
            json!({"jsonResponse": false, "siteIds": [151734, 22]}),
        ))
        .with_header(
            "content-type",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        .with_body(xlsx)
        .expect(1)
        .create();
    let (client, _) = common::client(&server);
    let overview = client
        .installation_overview_download(&overview_body())
        .unwrap();
    assert_eq!(overview.file(), Some(xlsx));
    assert_eq!(overview.rows().count(), 0);
    mock.assert();
}

#[test]
fn overview_download_refused_without_sites_or_columns_and_offline() {
    let mut server = server();
    let none = common::no_request(&mut server);
    let (client, _) = common::client(&server);
    for body in [
        vrm::OverviewDownload::new([])
            .column("name", vrm::OverviewColumn::new("Installation name", true)),
        vrm::OverviewDownload::new([SITE]),
        vrm::OverviewDownload::new([SITE]).column(" ", vrm::OverviewColumn::new("x", true)),
    ] {
        let e = client.installation_overview_download(&body).unwrap_err();
        assert!(matches!(e, Error::InvalidInput(_)), "{e:?}");
    }
    let offline = common::builder(&server, &common::clock())
        .personal_token(common::TOKEN)
        .cache(vrm::Cache::in_memory().unwrap())
        .cache_mode(vrm::CacheMode::Offline)
        .build()
        .unwrap();
    let e = offline
        .installation_overview_download(&overview_body())
        .unwrap_err();
    assert!(matches!(e, Error::NotCached(_)), "{e:?}");
    common::assert_no_request(&none);
}
