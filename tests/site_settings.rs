//! What one installation is set to: tags (filter, add, remove), settings,
//! favorite, forecasts (last reset, reset) and custom widgets — exact
//! requests, typed answers, what each write drops, refusals with no request.

mod common;

use common::{TempDir, assert_no_request, expect_get, expect_write, fixture, no_request, server};
use mockito::Matcher;
use serde_json::{Map, json};
use vrm::{Cache, CacheMode, CustomWidgetSpec, Error, SiteId, SiteSettings, Source, TagSource};

const SITE: SiteId = SiteId(5);
const OK: &str = r#"{"success":true,"idSite":5}"#;
const INSTALLATIONS: &str = r#"{"success":true,"records":[]}"#;

fn cache(dir: &TempDir) -> Cache {
    Cache::open(dir.join("cache.db")).expect("cache opens")
}

// ---- tags -------------------------------------------------------------------------

#[test]
fn tags_are_filtered_by_source() {
    let mut server = server();
    let get = expect_get(
        &mut server,
        "/installations/5/tags",
        "filter=team",
        r#"{"success":true,"tags":{"team":["bar"]}}"#,
    );
    let all = expect_get(
        &mut server,
        "/installations/5/tags",
        "",
        &fixture("tags.json"),
    );
    let (client, _) = common::client(&server);
    let team = client.site(SITE).tags_from(TagSource::Team).expect("tags");
    assert_eq!(team.len(), 1);
    assert_eq!(team[0].name, "bar");
    assert_eq!(team[0].source.as_deref(), Some("team"));
    assert_eq!(client.site(SITE).tags().expect("all").len(), 5);
    get.assert();
    all.assert();
}

#[test]
fn tag_writes_send_the_tag_and_its_source() {
    let mut server = server();
    let add = expect_write(
        &mut server,
        "PUT",
        "/installations/5/tags",
        json!({"tag": "Foo", "source": "user"}),
        r#"{"success":true,"idSite":5,"data":[{"tag":"Foo","source":"user"}]}"#,
    );
    let remove = expect_write(
        &mut server,
        "DELETE",
        "/installations/5/tags",
        json!({"tag": "bar", "source": "team"}),
        r#"{"success":true,"idSite":5,"data":[]}"#,
    );
    let (client, _) = common::client(&server);
    let done = client
        .site(SITE)
        .add_tag(" Foo ", TagSource::User)
        .expect("added");
    assert_eq!((done.source(), done.requests()), (Source::Network, 1));
    client
        .site(SITE)
        .remove_tag("bar", TagSource::Team)
        .expect("removed");
    add.assert();
    remove.assert();
}

#[test]
fn tag_writes_drop_the_cached_tags_and_installations() {
    let dir = TempDir::new("tags-stale");
    let cache = cache(&dir);
    let mut server = server();
    let me = common::mock_me(&mut server, 7);
    let tags = server
        .mock("GET", "/installations/5/tags")
        .match_query(Matcher::Any)
        .with_body(fixture("tags.json"))
        .expect(3)
        .create();
    let sites = server
        .mock("GET", "/users/7/installations")
        .match_query(Matcher::Any)
        .with_body(INSTALLATIONS)
        .expect(3)
        .create();
    let put = server
        .mock("PUT", "/installations/5/tags")
        .with_body(OK)
        .create();
    let delete = server
        .mock("DELETE", "/installations/5/tags")
        .with_body(OK)
        .create();
    let (client, _) = common::cached_client(&server, &cache);
    let read = || {
        (
            client.site(SITE).tags().unwrap().source(),
            client.installations().unwrap().source(),
        )
    };
    assert_eq!(read(), (Source::Network, Source::Network));
    assert_eq!(read(), (Source::Cache, Source::Cache));
    client.site(SITE).add_tag("x", TagSource::User).unwrap();
    assert_eq!(read(), (Source::Network, Source::Network), "after add");
    client.site(SITE).remove_tag("x", TagSource::User).unwrap();
    assert_eq!(read(), (Source::Network, Source::Network), "after remove");
    for m in [&tags, &sites, &put, &delete, &me] {
        m.assert();
    }
}

// ---- settings and favorite ----------------------------------------------------------

#[test]
fn settings_send_only_what_is_set_and_answer_what_was_stored() {
    let mut server = server();
    let post = expect_write(
        &mut server,
        "POST",
        "/installations/5/settings",
        json!({"description": "Boat", "phonenumber": "+31 6", "noDataAlarmActive": true,
               "geofence": {"radius": 100}}),
        r#"{"success":true,"idSite":5,"data":{"description":"Boat"}}"#,
    );
    let favorite = expect_write(
        &mut server,
        "POST",
        "/installations/5/favorite",
        json!({"favorite": 1}),
        r#"{"success":true,"idSite":5,"data":[{"favorite":1}]}"#,
    );
    let unfavorite = expect_write(
        &mut server,
        "POST",
        "/installations/5/favorite",
        json!({"favorite": 0}),
        OK,
    );
    let (client, _) = common::client(&server);
    let mut change = SiteSettings::new();
    change.description = Some("Boat".into());
    change.phone_number = Some("+31 6".into());
    change.no_data_alarm_active = Some(true);
    let mut fence = Map::new();
    fence.insert("radius".into(), json!(100));
    change.geofence = Some(fence);
    let stored = client.site(SITE).set_settings(&change).expect("set");
    assert_eq!(stored["description"], "Boat");
    client.site(SITE).set_favorite(true).expect("favorite");
    client.site(SITE).set_favorite(false).expect("unfavorite");
    post.assert();
    favorite.assert();
    unfavorite.assert();
}

#[test]
fn settings_and_favorite_drop_the_cached_installations() {
    let dir = TempDir::new("settings-stale");
    let cache = cache(&dir);
    let mut server = server();
    let me = common::mock_me(&mut server, 7);
    let sites = server
        .mock("GET", "/users/7/installations")
        .match_query(Matcher::Any)
        .with_body(INSTALLATIONS)
        .expect(3)
        .create();
    let settings = server
        .mock("POST", "/installations/5/settings")
        .with_body(OK)
        .create();
    let favorite = server
        .mock("POST", "/installations/5/favorite")
        .with_body(OK)
        .create();
    let (client, _) = common::cached_client(&server, &cache);
    let read = || client.installations().unwrap().source();
    assert_eq!(read(), Source::Network);
    assert_eq!(read(), Source::Cache);
    let mut change = SiteSettings::new();
    change.notes = Some("n".into());
    client.site(SITE).set_settings(&change).unwrap();
    assert_eq!(read(), Source::Network, "after settings");
    client.site(SITE).set_favorite(true).unwrap();
    assert_eq!(read(), Source::Network, "after favorite");
    for m in [&sites, &settings, &favorite, &me] {
        m.assert();
    }
}

// ---- forecasts ------------------------------------------------------------------------

#[test]
fn forecasts_last_reset_and_reset() {
    let mut server = server();
    let get = expect_get(
        &mut server,
        "/installations/5/reset-forecasts",
        "resetType=0",
        r#"{"success":true,"last_reset":1700000000}"#,
    );
    let never = expect_get(
        &mut server,
        "/installations/5/reset-forecasts",
        "resetType=1",
        r#"{"success":true,"last_reset":0}"#,
    );
    let reset = expect_write(
        &mut server,
        "POST",
        "/installations/5/reset-forecasts",
        json!({"resetType": 0}),
        r#"{"success":true}"#,
    );
    let (client, _) = common::client(&server);
    let site = client.site(SITE);
    let at = site.forecasts_last_reset(0).expect("last reset");
    assert_eq!(at.value().map(|t| t.unix_timestamp()), Some(1_700_000_000));
    assert_eq!(*site.forecasts_last_reset(1).expect("never").value(), None);
    site.reset_forecasts(0).expect("reset");
    get.assert();
    never.assert();
    reset.assert();
}

#[test]
fn the_real_answer_without_reset_type_is_an_api_error() {
    let mut server = server();
    let _get = server
        .mock("GET", "/installations/5/reset-forecasts")
        .match_query(Matcher::Any)
        .with_body(fixture("forecasts_last_reset.json"))
        .create();
    let (client, _) = common::client(&server);
    let e = client
        .site(SITE)
        .forecasts_last_reset(0)
        .expect_err("refused");
    let api = e.api_error().expect("VRM's error");
    assert_eq!(api.error_code.as_deref(), Some("missing_parameters"));
    assert_eq!(api.errors, ["ResetType em falta"]);
}

#[test]
fn a_reset_drops_the_cached_last_reset() {
    let dir = TempDir::new("forecast-stale");
    let cache = cache(&dir);
    let mut server = server();
    let me = common::mock_me(&mut server, 7);
    let get = server
        .mock("GET", "/installations/5/reset-forecasts")
        .match_query(Matcher::Any)
        .with_body(r#"{"success":true,"last_reset":0}"#)
        .expect(2)
        .create();
    let reset = server
        .mock("POST", "/installations/5/reset-forecasts")
        .with_body(r#"{"success":true}"#)
        .create();
    let (client, _) = common::cached_client(&server, &cache);
    let site = client.site(SITE);
    assert_eq!(
        site.forecasts_last_reset(0).unwrap().source(),
        Source::Network
    );
    assert_eq!(
        site.forecasts_last_reset(0).unwrap().source(),
        Source::Cache
    );
    site.reset_forecasts(0).unwrap();
    assert_eq!(
        site.forecasts_last_reset(0).unwrap().source(),
        Source::Network
    );
    for m in [&get, &reset, &me] {
        m.assert();
    }
}

// ---- custom widgets -------------------------------------------------------------------

#[test]
fn custom_widget_get_add_edit_remove() {
    let mut server = server();
    let get = expect_get(
        &mut server,
        "/installations/5/custom-widget",
        "idCustomWidget=9",
        r#"{"success":true,"widget":{"idCustomWidget":9,"name":"PV","onlyAdmins":"1",
            "yAxisScaling":0,"parameters":{"attributes":[1,2]},"color":"red"}}"#,
    );
    let mut params = Map::new();
    params.insert("attributes".into(), json!([1, 2]));
    let add = expect_write(
        &mut server,
        "POST",
        "/installations/5/custom-widget",
        json!({"name": "PV", "yAxisScaling": 0, "parameters": {"attributes": [1, 2]}}),
        r#"{"success":true,"idCustomWidget":"9"}"#,
    );
    let edit = expect_write(
        &mut server,
        "PATCH",
        "/installations/5/custom-widget",
        json!({"name": "PV2", "yAxisScaling": 1, "parameters": {"attributes": [1, 2]},
               "onlyAdmins": 0, "idCustomWidget": 9}),
        r#"{"success":true}"#,
    );
    let remove = expect_write(
        &mut server,
        "DELETE",
        "/installations/5/custom-widget",
        json!({"idCustomWidget": 9}),
        r#"{"success":true}"#,
    );
    let (client, _) = common::client(&server);
    let site = client.site(SITE);
    let widget = site.custom_widget(9).expect("widget");
    assert_eq!(widget.id, Some(9));
    assert_eq!(widget.only_admins, Some(true));
    assert_eq!(widget.extra["color"], "red");
    let id = site
        .add_custom_widget(&CustomWidgetSpec::new("PV", 0, params.clone()))
        .expect("added");
    assert_eq!(*id.value(), Some(9));
    site.edit_custom_widget(
        9,
        &CustomWidgetSpec::new("PV2", 1, params).only_admins(false),
    )
    .expect("edited");
    site.remove_custom_widget(9).expect("removed");
    for m in [&get, &add, &edit, &remove] {
        m.assert();
    }
}

#[test]
fn custom_widget_writes_drop_the_cached_widget() {
    let dir = TempDir::new("widget-stale");
    let cache = cache(&dir);
    let mut server = server();
    let me = common::mock_me(&mut server, 7);
    let get = server
        .mock("GET", "/installations/5/custom-widget")
        .match_query(Matcher::Any)
        .with_body(r#"{"success":true,"widget":{"idCustomWidget":9}}"#)
        .expect(4)
        .create();
    let writes: Vec<_> = ["POST", "PATCH", "DELETE"]
        .into_iter()
        .map(|m| {
            server
                .mock(m, "/installations/5/custom-widget")
                .with_body(r#"{"success":true}"#)
                .expect(1)
                .create()
        })
        .collect();
    let (client, _) = common::cached_client(&server, &cache);
    let site = client.site(SITE);
    let read = || site.custom_widget(9).unwrap().source();
    assert_eq!(read(), Source::Network);
    assert_eq!(read(), Source::Cache);
    let spec = CustomWidgetSpec::new("PV", 0, Map::new());
    site.add_custom_widget(&spec).unwrap();
    assert_eq!(read(), Source::Network, "after add");
    site.edit_custom_widget(9, &spec).unwrap();
    assert_eq!(read(), Source::Network, "after edit");
    site.remove_custom_widget(9).unwrap();
    assert_eq!(read(), Source::Network, "after remove");
    get.assert();
    me.assert();
    for w in &writes {
        w.assert();
    }
}

// ---- refusals -------------------------------------------------------------------------

#[test]
fn writes_missing_what_they_need_are_refused_with_no_request() {
    let mut server = server();
    let none = no_request(&mut server);
    let (client, _) = common::client(&server);
    let site = client.site(SITE);
    let e = site.set_settings(&SiteSettings::new()).expect_err("empty");
    assert!(matches!(e, Error::InvalidInput(_)), "{e:?}");
    assert!(e.to_string().contains("at least one field"), "{e}");
    let mut blank = SiteSettings::new();
    blank.description = Some("  ".into());
    assert!(site.set_settings(&blank).is_err());
    let e = site.add_tag(" ", TagSource::User).expect_err("blank tag");
    assert!(matches!(e, Error::InvalidInput(_)), "{e:?}");
    assert!(site.remove_tag("", TagSource::User).is_err());
    let e = site
        .add_custom_widget(&CustomWidgetSpec::new("", 0, Map::new()))
        .expect_err("no name");
    assert!(matches!(e, Error::InvalidInput(_)), "{e:?}");
    assert_no_request(&none);
}

#[test]
fn site_writes_are_refused_offline_with_no_request() {
    let dir = TempDir::new("site-offline");
    let mut server = server();
    let none = no_request(&mut server);
    let client = common::builder(&server, &common::clock())
        .personal_token(common::TOKEN)
        .cache(cache(&dir))
        .cache_mode(CacheMode::Offline)
        .build()
        .expect("client");
    let site = client.site(SITE);
    let mut change = SiteSettings::new();
    change.notes = Some("n".into());
    let spec = CustomWidgetSpec::new("PV", 0, Map::new());
    let results = [
        site.add_tag("x", TagSource::User).map(drop),
        site.remove_tag("x", TagSource::User).map(drop),
        site.set_settings(&change).map(drop),
        site.set_favorite(true).map(drop),
        site.reset_forecasts(0).map(drop),
        site.add_custom_widget(&spec).map(drop),
        site.edit_custom_widget(1, &spec).map(drop),
        site.remove_custom_widget(1).map(drop),
    ];
    for r in results {
        let e = r.expect_err("refused");
        assert!(matches!(e, Error::NotCached(_)), "{e:?}");
    }
    assert_no_request(&none);
}
