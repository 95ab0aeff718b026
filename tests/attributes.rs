//! VRM's live attribute catalogue (`GET /data-attributes`) and the search
//! of installations by attribute values (`GET /installation-data-attributes`).

mod common;

use std::time::Duration;

use common::{expect_get, mock_me, no_request, server};
use serde_json::Value;
use vrm::{AttributeQuery, Cache, Error, SiteId, Source};

/// The spec's shape: an object keyed by idDataAttribute, with odd values
/// (a `false` format, an unknown field, an entry that is no object).
const CATALOGUE: &str = r#"{
    "81": {"code": "V", "dataType": "float", "description": "Voltage", "formatWithUnit": "%.2F V"},
    "51": {"code": "bs", "dataType": "float", "description": "Battery SOC", "formatWithUnit": "%.1F %%"},
    "143": {"code": "IV1", "dataType": "float", "description": "Input voltage phase 1", "formatWithUnit": false, "new": 1},
    "7": null
}"#;

#[test]
fn data_attributes_exact_request_and_typed_answer() {
    let mut server = server();
    let mock = expect_get(&mut server, "/data-attributes", "", CATALOGUE);
    let (client, _) = common::client(&server);
    let attributes = client.data_attributes().unwrap();
    assert_eq!(attributes.source(), Source::Network);
    let ids: Vec<_> = attributes.iter().map(|a| a.id).collect();
    assert_eq!(ids, [Some(51), Some(81), Some(143)]);
    assert_eq!(attributes[0].code.as_deref(), Some("bs"));
    assert_eq!(attributes[0].data_type.as_deref(), Some("float"));
    assert_eq!(attributes[0].description.as_deref(), Some("Battery SOC"));
    assert_eq!(attributes[0].format_with_unit.as_deref(), Some("%.1F %%"));
    assert_eq!(attributes[2].format_with_unit, None);
    assert_eq!(attributes[2].extra["new"], Value::from(1));
    mock.assert();
}

#[test]
fn data_attributes_are_fresh_for_a_day() {
    let mut server = server();
    mock_me(&mut server, 22);
    let cache = Cache::in_memory().unwrap();
    let mock = server
        .mock("GET", "/data-attributes")
        .with_body(CATALOGUE)
        .expect(2)
        .create();
    let (client, clock) = common::cached_client(&server, &cache);
    client.data_attributes().unwrap();
    clock.advance(Duration::from_secs(23 * 3600));
    let again = client.data_attributes().unwrap();
    assert_eq!(again.requests(), 0);
    assert_eq!(again.source(), Source::Cache);
    assert_eq!(again.len(), 3);
    clock.advance(Duration::from_secs(2 * 3600));
    let later = client.data_attributes().unwrap();
    assert_eq!(later.source(), Source::Network);
    mock.assert();
}

#[test]
fn installation_data_attributes_exact_request_and_typed_answer() {
    let mut server = server();
    let mock = expect_get(
        &mut server,
        "/installation-data-attributes",
        "query=bs%3E%3D50%2Cau%3D%281%20OR%202%29%2CIV1%21&page=2&count=1000",
        r#"{"success":true,"num_records":"1001",
            "records":[
                {"idSite":151734,"description":"Boat \"Wave\"","lastTimestamp":1795600000,
                 "value_bs":"55.5","value_au":1,"value_IV1":null},
                {"idSite":"22","description":false,"lastTimestamp":"1795600001","value_bs":97.25}
            ],
            "attributes":[
                {"idDataAttribute":"51","code":"bs","dataType":"float","formatWithUnit":"%.1F %%"},
                {"idDataAttribute":94,"code":"au","dataType":"enum","formatWithUnit":null}
            ]}"#,
    );
    let (client, _) = common::client(&server);
    let query = AttributeQuery::new("bs>=50,au=(1 OR 2),IV1!")
        .page(2)
        .count(1000);
    let found = client.installation_data_attributes(&query).unwrap();
    assert_eq!(found.num_records, Some(1001));
    assert_eq!(found.sites.len(), 2);
    let boat = &found.sites[0];
    assert_eq!(boat.id_site, Some(SiteId(151_734)));
    assert_eq!(boat.description.as_deref(), Some("Boat \"Wave\""));
    assert_eq!(boat.last_timestamp, Some(1_795_600_000));
    assert_eq!(boat.value_f64("bs"), Some(55.5));
    assert_eq!(boat.value("IV1"), Some(&Value::Null));
    assert_eq!(boat.values().len(), 3);
    assert_eq!(found.sites[1].description, None);
    assert_eq!(found.sites[1].value_f64("bs"), Some(97.25));
    assert_eq!(found.attribute("au").and_then(|a| a.id), Some(94));
    assert_eq!(found.attribute("au").unwrap().format_with_unit, None);
    mock.assert();
}

#[test]
fn installation_data_attributes_refused_before_any_request() {
    let mut server = server();
    let none = no_request(&mut server);
    let (client, _) = common::client(&server);
    for query in [
        AttributeQuery::new(""),
        AttributeQuery::new("  "),
        AttributeQuery::new("bs\n"),
        AttributeQuery::new("bs").page(0),
        AttributeQuery::new("bs").count(0),
        AttributeQuery::new("bs").count(1001),
    ] {
        let e = client.installation_data_attributes(&query).unwrap_err();
        assert!(matches!(e, Error::InvalidInput(_)), "{query:?}: {e:?}");
    }
    common::assert_no_request(&none);
}

#[test]
fn too_many_conditions_is_vrms_422() {
    let mut server = server();
    let mock = server
        .mock("GET", "/installation-data-attributes")
        .match_query(mockito::Matcher::Any)
        .with_status(422)
        .with_body(r#"{"success":false,"error_code":null,"errors":["Too many conditions (max 5)"],"num_records":0}"#)
        .create();
    let (client, _) = common::client(&server);
    let e = client
        .installation_data_attributes(&AttributeQuery::new("a,b,c,d,e,f"))
        .unwrap_err();
    match e {
        Error::Api(api) => {
            assert_eq!(api.status, 422);
            assert_eq!(api.errors, ["Too many conditions (max 5)"]);
        }
        other => panic!("{other:?}"),
    }
    mock.assert();
}
