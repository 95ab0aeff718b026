//! A site's alarms: the list, add, edit, remove, clear and the alarm log —
//! the exact requests, the typed answers, and what each write drops.

mod common;

use common::{
    TempDir, assert_no_request, expect_get, expect_write, no_request, server, token_header,
};
use mockito::{Matcher, ServerGuard};
use serde_json::json;
use vrm::{AlarmId, AlarmLogQuery, AlarmSpec, Cache, CacheMode, Client, Error, SiteId, Source};

const SITE: SiteId = SiteId(5);
const OK: &str = r#"{"success":true,"idSite":5}"#;

const ALARMS: &str = r#"{
  "success": true,
  "rateLimited": false,
  "alarms": [
    {"AlarmEnabled": 1, "NotifyAfterSeconds": 60, "highAlarm": 2, "highAlarmHysteresis": 2,
     "idDataAttribute": 630, "instance": 0, "lowAlarm": 0, "lowAlarmHysteresis": 0.2,
     "idDataAttributeLimit": 76571},
    {"alarmEnabled": "0", "notifyAfterSeconds": "3600", "idDataAttribute": "185",
     "instance": 0, "enumValues": [0, "4"], "lowAlarm": false},
    "not an alarm"
  ],
  "devices": [{"idSite": 5, "instance": 0, "lastConnection": 1682696559, "idDeviceType": 0,
               "deviceName": "Gateway", "productName": "Color Control GX", "customName": null}],
  "users": [{"idUser": 174862, "idSite": 5, "accessLevel": 0, "receivesAlarmNotifications": 1,
             "email": "user@example.com", "name": "John Doe", "muted": false}],
  "attributes": [{"idDataAttribute": 1215, "code": "bPOR", "description": "Off reason",
                  "targetTable": "logData", "idDeviceType": 33, "dataType": "enum", "enumValues": []}]
}"#;

fn cache(dir: &TempDir) -> Cache {
    Cache::open(dir.join("cache.db")).expect("cache opens")
}

/// A cached client, its account learnt (one `users/me`).
fn cached(server: &mut ServerGuard, cache: &Cache) -> (Client, mockito::Mock) {
    let me = common::mock_me(server, 7);
    let (client, _) = common::cached_client(server, cache);
    (client, me)
}

#[test]
fn the_alarms_list_is_read_and_cached() {
    let mut server = server();
    let list = expect_get(&mut server, "/installations/5/alarms", "", ALARMS);
    let (client, _) = common::client(&server);
    let alarms = client.site(SITE).alarms().expect("alarms");
    list.assert();
    assert_eq!(alarms.requests(), 1);
    assert_eq!(alarms.alarms.len(), 2, "the odd entry is dropped");
    let number = &alarms.alarms[0];
    assert_eq!(number.id_data_attribute, Some(630));
    assert_eq!(number.enabled, Some(true));
    assert_eq!(number.notify_after_seconds, Some(60));
    assert_eq!(number.high_alarm, Some(2.0));
    assert_eq!(number.low_alarm_hysteresis, Some(0.2));
    assert_eq!(number.id_data_attribute_limit, Some(76571));
    assert!(!number.is_enum());
    let on_enum = &alarms.alarms[1];
    assert_eq!(on_enum.enabled, Some(false));
    assert_eq!(on_enum.notify_after_seconds, Some(3600));
    assert_eq!(on_enum.enum_values, [0, 4]);
    assert_eq!(on_enum.low_alarm, None);
    assert_eq!(alarms.devices[0].device_name.as_deref(), Some("Gateway"));
    assert_eq!(alarms.devices[0].custom_name, None);
    assert_eq!(alarms.users[0].receives_alarm_notifications, Some(true));
    assert_eq!(alarms.attributes[0].code.as_deref(), Some("bPOR"));
}

#[test]
fn an_error_body_is_an_api_error() {
    let mut server = server();
    let _m = server
        .mock("GET", "/installations/5/alarms")
        .with_status(403)
        .with_body(r#"{"success":false,"errors":"Not allowed","error_code":"forbidden"}"#)
        .create();
    let (client, _) = common::client(&server);
    let e = client.site(SITE).alarms().expect_err("an error");
    let api = e.api_error().expect("VRM's error");
    assert_eq!(api.status, 403);
    assert_eq!(api.errors, ["Not allowed"]);
}

#[test]
fn add_sends_a_number_alarm_in_pascal_case() {
    let mut server = server();
    let add = expect_write(
        &mut server,
        "POST",
        "/installations/5/alarms",
        json!({"AlarmEnabled": 1, "NotifyAfterSeconds": 60, "highAlarm": 2.0,
               "highAlarmHysteresis": 2.0, "idDataAttribute": 630, "instance": 0,
               "lowAlarm": 0.0, "lowAlarmHysteresis": 0.2}),
        r#"{"success":true,"idSite":5,"data":{"AlarmEnabled":1,"NotifyAfterSeconds":60,
            "highAlarm":2,"idDataAttribute":630,"instance":0,"idDataAttributeLimit":"76571"}}"#,
    );
    let (client, _) = common::client(&server);
    let alarm = AlarmSpec::number(630, 0, 60).high(2.0, 2.0).low(0.0, 0.2);
    let done = client.site(SITE).add_alarm(&alarm).expect("added");
    add.assert();
    assert_eq!((done.source(), done.requests()), (Source::Network, 1));
    let stored = done.value().as_ref().expect("the stored alarm");
    assert_eq!(stored.id_data_attribute_limit, Some(76571));
}

#[test]
fn edit_sends_an_enum_alarm_in_camel_case() {
    let mut server = server();
    let edit = expect_write(
        &mut server,
        "PUT",
        "/installations/5/alarms",
        json!({"instance": 0, "idDataAttribute": 185, "enumValues": [0, 4],
               "notifyAfterSeconds": 3600, "alarmEnabled": 0}),
        r#"{"success":true,"idSite":5,"data":false}"#,
    );
    let (client, _) = common::client(&server);
    let alarm = AlarmSpec::on_enum(185, 0, [0, 4], 3600).enabled(false);
    let done = client.site(SITE).edit_alarm(&alarm).expect("edited");
    edit.assert();
    assert_eq!(*done.value(), None, "an odd data field is no alarm");
}

#[test]
fn remove_names_the_alarm_in_its_body_and_clear_names_its_id() {
    let mut server = server();
    let remove = expect_write(
        &mut server,
        "DELETE",
        "/installations/5/alarms",
        json!({"idDataAttribute": 630, "instance": 1}),
        OK,
    );
    let clear = expect_write(
        &mut server,
        "POST",
        "/installations/5/clear-alarm",
        json!({"alarmId": 630}),
        r#"{"success":true,"idSite":"5"}"#,
    );
    let (client, _) = common::client(&server);
    client.site(SITE).remove_alarm(630, 1).expect("removed");
    client
        .site(SITE)
        .clear_alarm(AlarmId(630))
        .expect("cleared");
    remove.assert();
    clear.assert();
}

#[test]
fn the_alarm_log_sends_its_paging_and_reads_leniently() {
    let mut server = server();
    let log = server
        .mock("GET", "/installations/5/alarm-log")
        .match_query(Matcher::Exact(
            "page=2&count=50&start=1795597200&end=1795608000".into(),
        ))
        .match_header("x-authorization", token_header().as_str())
        .with_body(
            r#"{"success":true,"records":[
                {"idAlarm":"11","idDataAttribute":630,"instance":0,"description":"Low battery",
                 "started":1700000000,"cleared":1700003600,"level":2},
                {"id":12,"started":"1700007200","cleared":false},
                7
              ],"total":"31"}"#,
        )
        .expect(1)
        .create();
    let (client, _) = common::client(&server);
    let window = vrm::TimeWindow::from_unix(1_795_597_200, 1_795_608_000).expect("window");
    let query = AlarmLogQuery::new().page(2).count(50).window(window);
    let answer = client.site(SITE).alarm_log(&query).expect("log");
    log.assert();
    assert_eq!(answer.total, Some(31));
    assert_eq!(answer.entries.len(), 2);
    assert_eq!(answer.entries[0].id, Some(11));
    assert_eq!(answer.entries[0].extra["level"], 2);
    assert!(answer.entries[0].cleared_at().is_some());
    assert_eq!(answer.entries[1].id, Some(12));
    assert_eq!(answer.entries[1].cleared_at(), None, "still active");
}

#[test]
fn every_alarm_write_makes_the_cached_lists_stale() {
    let dir = TempDir::new("alarms-stale");
    let cache = cache(&dir);
    let mut server = server();
    let (client, me) = cached(&mut server, &cache);
    let site = client.site(SITE);
    // Each write below is followed by one list from VRM: 1 + 4 lists.
    let list = server
        .mock("GET", "/installations/5/alarms")
        .with_body(ALARMS)
        .expect(5)
        .create();
    let installations = server
        .mock("GET", "/users/7/installations")
        .match_query(Matcher::Any)
        .with_body(r#"{"success":true,"records":[]}"#)
        .expect(5)
        .create();
    let log = server
        .mock("GET", "/installations/5/alarm-log")
        .match_query(Matcher::Any)
        .with_body(r#"{"success":true,"records":[]}"#)
        .expect(2)
        .create();
    let writes = [
        server
            .mock("POST", "/installations/5/alarms")
            .with_body(OK)
            .create(),
        server
            .mock("PUT", "/installations/5/alarms")
            .with_body(OK)
            .create(),
        server
            .mock("DELETE", "/installations/5/alarms")
            .with_body(OK)
            .create(),
        server
            .mock("POST", "/installations/5/clear-alarm")
            .with_body(OK)
            .create(),
    ];
    let read_all = || {
        let a = site.alarms().expect("alarms");
        let i = client.installations().expect("installations");
        (a.source(), i.source())
    };
    assert_eq!(read_all(), (Source::Network, Source::Network));
    assert_eq!(read_all(), (Source::Cache, Source::Cache));
    assert_eq!(
        site.alarm_log(&AlarmLogQuery::new()).unwrap().source(),
        Source::Network
    );
    let alarm = AlarmSpec::number(630, 0, 60).high(2.0, 0.5);
    site.add_alarm(&alarm).expect("add");
    assert_eq!(read_all(), (Source::Network, Source::Network), "after add");
    site.edit_alarm(&alarm).expect("edit");
    assert_eq!(read_all(), (Source::Network, Source::Network), "after edit");
    site.remove_alarm(630, 0).expect("remove");
    assert_eq!(
        read_all(),
        (Source::Network, Source::Network),
        "after remove"
    );
    assert_eq!(
        site.alarm_log(&AlarmLogQuery::new()).unwrap().source(),
        Source::Cache,
        "remove leaves the log"
    );
    site.clear_alarm(AlarmId(1)).expect("clear");
    assert_eq!(
        read_all(),
        (Source::Network, Source::Network),
        "after clear"
    );
    assert_eq!(
        site.alarm_log(&AlarmLogQuery::new()).unwrap().source(),
        Source::Network,
        "clear drops the log"
    );
    list.assert();
    installations.assert();
    log.assert();
    for w in &writes {
        w.assert();
    }
    me.assert();
}

#[test]
fn an_alarm_without_what_it_needs_is_refused_with_no_request() {
    let mut server = server();
    let none = no_request(&mut server);
    let (client, _) = common::client(&server);
    let site = client.site(SITE);
    for (result, says) in [
        (site.add_alarm(&AlarmSpec::number(630, 0, 60)), "no limit"),
        (
            site.edit_alarm(&AlarmSpec::on_enum(185, 0, [], 60)),
            "no enum values",
        ),
        (
            site.add_alarm(&AlarmSpec::number(630, 0, 60).high(1.0, 0.0).low(3.0, 0.0)),
            "not below",
        ),
    ] {
        let e = result.expect_err("refused");
        assert!(matches!(e, Error::InvalidInput(_)), "{e:?}");
        assert!(e.to_string().contains(says), "{e}");
    }
    for query in [AlarmLogQuery::new().count(0), AlarmLogQuery::new().page(0)] {
        let e = site.alarm_log(&query).expect_err("refused");
        assert!(matches!(e, Error::InvalidInput(_)), "{e:?}");
    }
    assert_no_request(&none);
}

#[test]
fn alarm_writes_are_refused_offline_with_no_request() {
    let dir = TempDir::new("alarms-offline");
    let mut server = server();
    let none = no_request(&mut server);
    let client = common::builder(&server, &common::clock())
        .personal_token(common::TOKEN)
        .cache(cache(&dir))
        .cache_mode(CacheMode::Offline)
        .build()
        .expect("client");
    let site = client.site(SITE);
    let alarm = AlarmSpec::number(630, 0, 60).high(2.0, 0.5);
    let results = [
        site.add_alarm(&alarm).map(drop),
        site.edit_alarm(&alarm).map(drop),
        site.remove_alarm(630, 0).map(drop),
        site.clear_alarm(AlarmId(1)).map(drop),
    ];
    for r in results {
        let e = r.expect_err("refused");
        assert!(matches!(e, Error::NotCached(_)), "{e:?}");
    }
    assert_no_request(&none);
}
