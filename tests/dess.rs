//! Dynamic ESS of a site: settings read and written (POST and PATCH), the
//! schedule, adjust-consumption — exact requests, typed answers, what the
//! writes drop, and the real error body of a site without settings.

mod common;

use common::{TempDir, assert_no_request, expect_get, expect_write, fixture, no_request, server};
use mockito::Matcher;
use serde_json::{Map, json};
use vrm::{Cache, CacheMode, DynamicEssMethod, DynamicEssUpdate, Error, SiteId, Source};

const SITE: SiteId = SiteId(5);

const SETTINGS: &str = r#"{"success":true,"idSite":5,"data":{
  "batteryCapacity":10,"batteryCosts":"0.02","batteryFlowRestriction":"unrestricted",
  "batteryPrice":250,"buyPriceType":1,"chargePower":10,"dischargePower":false,"gridSell":1,
  "isOn":true,"maxPowerFromGrid":10,"maxPowerToGrid":10,"sellPriceType":"0",
  "idBiddingZone":1,"isGreenModeOn":0,"buyPriceFormula":"1.21*p+0.04",
  "buyPriceSchedule":[{"days":[0,1],"schedule":[{"from":"00:00","to":"05:00","price":"0.41"}]}]
}}"#;

fn full() -> DynamicEssUpdate {
    let mut u = DynamicEssUpdate::new();
    u.battery_capacity = Some(10.0);
    u.battery_costs = Some(0.02);
    u.battery_flow_restriction = Some("unrestricted".into());
    u.buy_price_type = Some(1);
    u.charge_power = Some(10.0);
    u.discharge_power = Some(10.0);
    u.grid_sell = Some(1);
    u.is_on = Some(true);
    u.max_power_from_grid = Some(10.0);
    u.max_power_to_grid = Some(10.0);
    u.sell_price_type = Some(1);
    u
}

#[test]
fn settings_are_read_with_odd_values() {
    let mut server = server();
    let get = expect_get(
        &mut server,
        "/installations/5/dynamic-ess-settings",
        "",
        SETTINGS,
    );
    let (client, _) = common::client(&server);
    let s = client.site(SITE).dynamic_ess_settings().expect("settings");
    get.assert();
    assert_eq!(s.is_on, Some(true));
    assert_eq!(s.battery_costs, Some(0.02));
    assert_eq!(s.discharge_power, None);
    assert_eq!(s.sell_price_type, Some(0));
    assert_eq!(s.grid_sell, Some(true));
    assert_eq!(s.is_green_mode_on, Some(false));
    assert_eq!(s.buy_price_formula.as_deref(), Some("1.21*p+0.04"));
    assert!(s.extra.contains_key("buyPriceSchedule"));
}

#[test]
fn the_real_answer_of_a_site_without_settings_is_an_api_error() {
    let mut server = server();
    let _get = expect_get(
        &mut server,
        "/installations/5/dynamic-ess-settings",
        "",
        &fixture("dynamic_ess_settings.json"),
    );
    let (client, _) = common::client(&server);
    let e = client
        .site(SITE)
        .dynamic_ess_settings()
        .expect_err("no settings");
    let api = e.api_error().expect("VRM's error");
    assert_eq!(api.errors, ["No settings found for this site"]);
    assert_eq!(api.endpoint, "installations/{idSite}/dynamic-ess-settings");
}

#[test]
fn post_sends_the_whole_configuration_and_patch_only_the_change() {
    let mut server = server();
    let mut body = serde_json::to_value(full()).unwrap();
    assert_eq!(body["batteryFlowRestriction"], "unrestricted");
    assert_eq!(body.as_object().unwrap().len(), 11);
    body["isOn"] = json!(true);
    let post = expect_write(
        &mut server,
        "POST",
        "/installations/5/dynamic-ess-settings",
        body,
        SETTINGS,
    );
    let patch = expect_write(
        &mut server,
        "PATCH",
        "/installations/5/dynamic-ess-settings",
        json!({"isOn": false, "customField": 3}),
        r#"{"success":true}"#,
    );
    let (client, _) = common::client(&server);
    let site = client.site(SITE);
    let stored = site
        .set_dynamic_ess_settings(&full(), DynamicEssMethod::default())
        .expect("posted");
    assert_eq!(stored.value().as_ref().and_then(|s| s.is_on), Some(true));
    let mut change = DynamicEssUpdate::new();
    change.is_on = Some(false);
    change.extra.insert("customField".into(), json!(3));
    let patched = site
        .set_dynamic_ess_settings(&change, DynamicEssMethod::Patch)
        .expect("patched");
    assert_eq!(*patched.value(), None, "no data in the answer");
    post.assert();
    patch.assert();
}

#[test]
fn the_schedule_and_adjust_consumption() {
    let mut server = server();
    let schedule = expect_get(
        &mut server,
        "/installations/5/schedule-dynamic-ess",
        "async=0",
        r#"{"success":true,"records":[{"timestamp":1700000000,"soc":50}],"totals":{}}"#,
    );
    let adjust = expect_write(
        &mut server,
        "POST",
        "/installations/5/adjust-consumption",
        json!({"consumption": 1.5, "hours": 2}),
        r#"{"success":true,"data":{"adjusted":true}}"#,
    );
    let (client, _) = common::client(&server);
    let site = client.site(SITE);
    let plan = site.dynamic_ess_schedule().expect("schedule");
    assert_eq!(plan.field("records").unwrap()[0]["soc"], 50);
    assert!(plan.field("success").is_none());
    let mut body = Map::new();
    body.insert("consumption".into(), json!(1.5));
    body.insert("hours".into(), json!(2));
    let answer = site.adjust_consumption(&body).expect("adjusted");
    assert_eq!(answer["data"]["adjusted"], true);
    schedule.assert();
    adjust.assert();
}

#[test]
fn settings_writes_drop_the_cached_dynamic_ess_answers() {
    let dir = TempDir::new("dess-stale");
    let cache = Cache::open(dir.join("cache.db")).expect("cache");
    let mut server = server();
    let me = common::mock_me(&mut server, 7);
    let get = server
        .mock("GET", "/installations/5/dynamic-ess-settings")
        .with_body(SETTINGS)
        .expect(4)
        .create();
    let plan = server
        .mock("GET", "/installations/5/schedule-dynamic-ess")
        .match_query(Matcher::Any)
        .with_body(r#"{"success":true,"records":[]}"#)
        .expect(4)
        .create();
    let post = server
        .mock("POST", "/installations/5/dynamic-ess-settings")
        .with_body(SETTINGS)
        .expect(1)
        .create();
    let patch = server
        .mock("PATCH", "/installations/5/dynamic-ess-settings")
        .with_body(r#"{"success":true}"#)
        .expect(1)
        .create();
    let adjust = server
        .mock("POST", "/installations/5/adjust-consumption")
        .with_body(r#"{"success":true}"#)
        .expect(1)
        .create();
    let (client, _) = common::cached_client(&server, &cache);
    let site = client.site(SITE);
    let read = || {
        (
            site.dynamic_ess_settings().unwrap().source(),
            site.dynamic_ess_schedule().unwrap().source(),
        )
    };
    assert_eq!(read(), (Source::Network, Source::Network));
    assert_eq!(read(), (Source::Cache, Source::Cache));
    site.set_dynamic_ess_settings(&full(), DynamicEssMethod::Post)
        .unwrap();
    assert_eq!(read(), (Source::Network, Source::Network), "after POST");
    let mut change = DynamicEssUpdate::new();
    change.is_on = Some(false);
    site.set_dynamic_ess_settings(&change, DynamicEssMethod::Patch)
        .unwrap();
    assert_eq!(read(), (Source::Network, Source::Network), "after PATCH");
    let mut body = Map::new();
    body.insert("x".into(), json!(1));
    site.adjust_consumption(&body).unwrap();
    assert_eq!(read(), (Source::Network, Source::Network), "after adjust");
    for m in [&get, &plan, &post, &patch, &adjust, &me] {
        m.assert();
    }
}

#[test]
fn a_configuration_missing_a_field_is_refused_with_no_request() {
    let mut server = server();
    let none = no_request(&mut server);
    let (client, _) = common::client(&server);
    let site = client.site(SITE);
    let mut partial = full();
    partial.charge_power = None;
    let e = site
        .set_dynamic_ess_settings(&partial, DynamicEssMethod::Post)
        .expect_err("refused");
    assert!(matches!(e, Error::InvalidInput(_)), "{e:?}");
    assert!(e.to_string().contains("chargePower missing"), "{e}");
    let e = site
        .set_dynamic_ess_settings(&DynamicEssUpdate::new(), DynamicEssMethod::Patch)
        .expect_err("refused");
    assert!(e.to_string().contains("at least one field"), "{e}");
    let mut odd = full();
    odd.buy_price_type = Some(3);
    assert!(
        site.set_dynamic_ess_settings(&odd, DynamicEssMethod::Post)
            .is_err()
    );
    assert!(site.adjust_consumption(&Map::new()).is_err());
    assert_no_request(&none);
}

#[test]
fn dynamic_ess_writes_are_refused_offline_with_no_request() {
    let dir = TempDir::new("dess-offline");
    let mut server = server();
    let none = no_request(&mut server);
    let client = common::builder(&server, &common::clock())
        .personal_token(common::TOKEN)
        .cache(Cache::open(dir.join("cache.db")).expect("cache"))
        .cache_mode(CacheMode::Offline)
        .build()
        .expect("client");
    let site = client.site(SITE);
    let e = site
        .set_dynamic_ess_settings(&full(), DynamicEssMethod::Post)
        .expect_err("refused");
    assert!(matches!(e, Error::NotCached(_)), "{e:?}");
    let mut body = Map::new();
    body.insert("x".into(), json!(1));
    let e = site.adjust_consumption(&body).expect_err("refused");
    assert!(matches!(e, Error::NotCached(_)), "{e:?}");
    assert_no_request(&none);
}
