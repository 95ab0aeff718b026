//! Users: `users/me`, a user's installations (plain and `extended=1`) and
//! personal access tokens (list, create, revoke one or all).
//!
//! Every mock pins the method, the path, the exact query, the
//! `X-Authorization` header and (for POSTs) the JSON body, and expects to be
//! hit exactly once.

mod common;

use common::{NOW, expect_get, fixture, server, token_header};
use mockito::Matcher;
use serde_json::{Value, json};
use time::OffsetDateTime;
use vrm::{AccessTokenId, Error, Revoke, SiteId, Source, UserId};

const USER: UserId = UserId(22);

/// No query string at all.
fn no_query() -> Matcher {
    Matcher::Exact(String::new())
}

fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(NOW).unwrap()
}

// ---- users/me ---------------------------------------------------------------------

#[test]
fn me_decodes_the_live_sample_and_remembers_the_id() {
    let mut server = server();
    let me = server
        .mock("GET", "/users/me")
        .match_query(no_query())
        .match_header("x-authorization", token_header().as_str())
        .with_body(fixture("users_me.json"))
        .expect(1)
        .create();
    let (client, _) = common::client(&server);

    let user = client.me().unwrap();
    assert_eq!(user.id, UserId(22));
    assert_eq!(user.name.as_deref(), Some("demo demo"));
    assert_eq!(user.email.as_deref(), Some("demo@victronenergy.com"));
    assert_eq!(user.country.as_deref(), Some("The Netherlands"));
    assert_eq!(user.id_access_token, None); // `null`
    assert_eq!(user.access_level, Some(0));
    assert!(user.extra.is_empty(), "{:?}", user.extra);
    assert_eq!(user.source(), Source::Network);
    assert_eq!(user.requests(), 1);
    assert_eq!(user.fetched_at(), now());

    // Remembered: no second request.
    assert_eq!(client.user_id().unwrap(), UserId(22));
    assert_eq!(client.counters().requests, 1);
    me.assert();
}

#[test]
fn user_id_asks_users_me_once() {
    let mut server = server();
    let me = server
        .mock("GET", "/users/me")
        .match_query(no_query())
        .match_header("x-authorization", token_header().as_str())
        .with_body(fixture("users_me.json"))
        .expect(1)
        .create();
    let (client, _) = common::client(&server);
    assert_eq!(client.user_id().unwrap(), UserId(22));
    assert_eq!(client.user_id().unwrap(), UserId(22));
    me.assert();
}

#[test]
fn me_quirks_strings_false_and_unknown_fields() {
    let mut server = server();
    let me = server
        .mock("GET", "/users/me")
        .match_query(no_query())
        .match_header("x-authorization", token_header().as_str())
        .with_body(
            json!({
                "success": true,
                "user": {
                    "id": "7",
                    "name": false,
                    "country": null,
                    "idAccessToken": "50",
                    "accessLevel": "1",
                    "avatar_url": "https://example.com/a.png",
                    "preferences": {"units": "metric"}
                }
            })
            .to_string(),
        )
        .expect(1)
        .create();
    let (client, _) = common::client(&server);
    let user = client.me().unwrap();
    assert_eq!(user.id, UserId(7));
    assert_eq!(user.name, None);
    assert_eq!(user.email, None); // missing
    assert_eq!(user.country, None);
    assert_eq!(user.id_access_token, Some(AccessTokenId(50)));
    assert_eq!(user.access_level, Some(1));
    assert_eq!(
        user.extra.get("avatar_url"),
        Some(&Value::from("https://example.com/a.png"))
    );
    assert_eq!(user.extra["preferences"]["units"], Value::from("metric"));
    assert_eq!(user.extra.len(), 2);
    assert_eq!(client.user_id().unwrap(), UserId(7));
    me.assert();
}

// ---- users/{idUser}/installations -------------------------------------------------

#[test]
fn installations_plain() {
    let mut server = server();
    let list = server
        .mock("GET", "/users/22/installations")
        .match_query(no_query())
        .match_header("x-authorization", token_header().as_str())
        .with_body(fixture("installations_basic.json"))
        .expect(1)
        .create();
    let (client, _) = common::client(&server);
    let sites = client.user(USER).installations().unwrap();
    assert_eq!(sites.requests(), 1);
    assert_eq!(sites.source(), Source::Network);
    assert_eq!(sites.len(), 1);
    let site = &sites[0];
    assert_eq!(site.id_site, SiteId(100));
    assert_eq!(site.name.as_deref(), Some("Test installation"));
    assert_eq!(site.id_user, Some(UserId(1001)));
    assert_eq!(site.pv_max, Some(12258.0));
    assert_eq!(site.access_level, Some(1));
    assert_eq!(site.timezone.as_deref(), Some("UTC"));
    assert_eq!(site.owner, Some(true));
    assert_eq!(site.geofence, None); // `false`
    assert_eq!(site.geofence_enabled, Some(false));
    assert_eq!(site.device_icon.as_deref(), Some("solar"));
    // Not in a plain answer.
    assert!(site.extended.is_empty());
    assert!(site.tags.is_empty());
    assert_eq!(site.last_timestamp, None);
    assert_eq!(site.timezone_offset, None);
    // Unknown field kept.
    assert_eq!(site.extra.get("reports_enabled"), Some(&Value::Bool(false)));
    assert_eq!(site.extra.len(), 1, "{:?}", site.extra);
    list.assert();
}

#[test]
fn installations_extended_live_sample() {
    let mut server = server();
    let list = expect_get(
        &mut server,
        "/users/22/installations",
        "extended=1",
        &fixture("installations.json"),
    );
    let (client, _) = common::client(&server);
    let sites = client.user(USER).installations_extended().unwrap();
    assert_eq!(sites.requests(), 1);
    let ids: Vec<u64> = sites.iter().map(|s| s.id_site.get()).collect();
    assert_eq!(
        ids,
        [
            151_734, 151_755, 219_742, 928_708, 374_891, 209_689, 722_303
        ]
    );
    let names: Vec<&str> = sites.iter().filter_map(|s| s.name.as_deref()).collect();
    assert_eq!(
        names,
        [
            "35ft Yacht",
            "50ft Yacht",
            "ESS System",
            "Multi-hull / dual-drive",
            "Multiple EV Chargers",
            "Off-grid",
            "Small Electric Boat"
        ]
    );
    assert!(sites.iter().all(|s| s.id_user == Some(UserId(22))));
    let extended_counts: Vec<usize> = sites.iter().map(|s| s.extended.len()).collect();
    assert_eq!(extended_counts, [41, 43, 33, 35, 49, 34, 38]);

    let yacht = &sites[0];
    assert_eq!(yacht.identifier.as_deref(), Some("d41243cd7c66"));
    assert_eq!(yacht.timezone.as_deref(), Some("Africa/Casablanca"));
    assert_eq!(yacht.timezone_offset, Some(3600));
    assert_eq!(yacht.last_timestamp, Some(1_776_515_873));
    assert_eq!(
        yacht.last_time().map(|t| t.unix_timestamp()),
        Some(1_776_515_873)
    );
    assert_eq!(yacht.current_time.as_deref(), Some("13:38"));
    assert_eq!(yacht.syscreated, Some(1_643_115_186));
    assert_eq!(yacht.has_mains, Some(true));
    assert_eq!(yacht.has_generator, Some(false));
    assert_eq!(yacht.alarm, Some(false));
    assert_eq!(yacht.last_location_timestamp, None); // `false`
    assert_eq!(yacht.tags.len(), 11);
    assert_eq!(yacht.tags[0].name, "No alarm");
    assert_eq!(yacht.tags[0].id_tag, Some(41));
    assert_eq!(yacht.tags[0].automatic, Some(true));
    assert!(yacht.has_tag("demo"));
    let lat = yacht.extended_attribute("lt").unwrap();
    assert_eq!(lat.raw_f64(), Some(44.7155));
    assert_eq!(lat.formatted_value.as_deref(), Some("44.71550 LAT"));
    let state = yacht.extended_attribute("S").unwrap();
    assert_eq!(state.instance, Some(257));
    assert_eq!(state.text_value.as_deref(), Some("Inverting"));
    assert_eq!(state.instances["257"].timestamp, Some(1_776_515_873));
    // Unknown fields kept.
    assert_eq!(yacht.extra.get("realtimeUpdates"), Some(&Value::Bool(true)));
    assert_eq!(
        yacht.extra.get("currency").and_then(|c| c.get("code")),
        Some(&Value::from("EUR"))
    );
    assert!(!yacht.extra.contains_key("idSite"));

    let multihull = &sites[3];
    assert_eq!(multihull.timezone.as_deref(), Some("Pacific/Auckland"));
    assert_eq!(multihull.last_location_timestamp, Some(1_776_515_889));
    assert_eq!(sites[6].timezone.as_deref(), Some("Europe/Berlin"));
    assert!(sites[6].geofence.as_deref().unwrap().contains("polygon"));
    list.assert();
}

#[test]
fn installations_extended_doc_sample() {
    let mut server = server();
    let list = expect_get(
        &mut server,
        "/users/1001/installations",
        "extended=1",
        &fixture("installations_extended.json"),
    );
    let (client, _) = common::client(&server);
    let sites = client.user(UserId(1001)).installations_extended().unwrap();
    assert_eq!(sites.len(), 1);
    let site = &sites[0];
    assert_eq!(site.id_site, SiteId(100));
    assert_eq!(site.last_timestamp, Some(1_472_217_903));
    assert_eq!(site.timezone_offset, Some(7200));
    assert_eq!(site.current_time.as_deref(), Some("11:25"));
    assert_eq!(site.tags.len(), 1);
    assert_eq!(site.tags[0].name, "ok");
    assert_eq!(site.extended.len(), 14);
    let bv = site.extended_attribute("bv").unwrap();
    assert_eq!(bv.id_data_attribute, Some(143));
    assert_eq!(bv.raw_f64(), Some(54.12)); // sent as "54.12"
    assert_eq!(bv.formatted_value.as_deref(), Some("54.12 V"));
    let bst = site.extended_attribute("bst").unwrap();
    assert_eq!(bst.raw_value, None);
    assert_eq!(bst.text_value.as_deref(), Some("charging"));
    let consumption = site.extended_attribute("consumption").unwrap();
    assert_eq!(consumption.id_data_attribute, None);
    assert_eq!(consumption.raw_f64(), Some(8.0));
    list.assert();
}

#[test]
fn installations_quirks() {
    let mut server = server();
    let list = server
        .mock("GET", "/users/22/installations")
        .match_query(no_query())
        .match_header("x-authorization", token_header().as_str())
        .with_body(
            json!({
                "success": true,
                "records": [
                    {"idSite": "42", "idUser": false, "pvMax": "1500", "name": null,
                     "tags": false, "extended": false, "hasMains": "1", "alarm": null,
                     "last_timestamp": "1472217903", "brandNew": {"x": 1}},
                    {"idSite": 43}
                ]
            })
            .to_string(),
        )
        .expect(1)
        .create();
    let (client, _) = common::client(&server);
    let sites = client.user(USER).installations().unwrap();
    assert_eq!(sites.len(), 2);
    let s = &sites[0];
    assert_eq!(s.id_site, SiteId(42));
    assert_eq!(s.id_user, None);
    assert_eq!(s.name, None);
    assert_eq!(s.pv_max, Some(1500.0));
    assert!(s.tags.is_empty() && s.extended.is_empty());
    assert_eq!(s.has_mains, Some(true));
    assert_eq!(s.alarm, None);
    assert_eq!(s.last_timestamp, Some(1_472_217_903));
    assert_eq!(s.extra["brandNew"]["x"], Value::from(1));
    // Only the id: every optional field missing.
    let bare = &sites[1];
    assert_eq!(bare.id_site, SiteId(43));
    assert_eq!(
        (bare.name.as_deref(), bare.timezone.as_deref()),
        (None, None)
    );
    assert!(bare.extra.is_empty());
    list.assert();
}

#[test]
fn installations_false_is_an_empty_list() {
    let mut server = server();
    let list = expect_get(
        &mut server,
        "/users/22/installations",
        "extended=1",
        r#"{"success":true,"records":false}"#,
    );
    let (client, _) = common::client(&server);
    assert!(
        client
            .user(USER)
            .installations_extended()
            .unwrap()
            .is_empty()
    );
    list.assert();
}

#[test]
fn client_installations_learns_the_user_id_first() {
    let mut server = server();
    let me = server
        .mock("GET", "/users/me")
        .match_query(no_query())
        .match_header("x-authorization", token_header().as_str())
        .with_body(fixture("users_me.json"))
        .expect(1)
        .create();
    let list = server
        .mock("GET", "/users/22/installations")
        .match_query(no_query())
        .match_header("x-authorization", token_header().as_str())
        .with_body(fixture("installations_basic.json"))
        .expect(1)
        .create();
    let (client, _) = common::client(&server);
    let sites = client.installations().unwrap();
    assert_eq!(sites.len(), 1);
    assert_eq!(sites[0].id_site, SiteId(100));
    assert_eq!(sites[0].name.as_deref(), Some("Test installation"));
    assert_eq!(client.counters().requests, 2, "users/me + installations");
    assert_eq!(sites.requests(), 2, "the answer counts both");
    // The id is remembered.
    assert_eq!(client.user_id().unwrap(), UserId(22));
    assert_eq!(client.counters().requests, 2);
    me.assert();
    list.assert();
}

// ---- users/{idUser}/accesstokens --------------------------------------------------

#[test]
fn access_tokens_list() {
    let mut server = server();
    let list = server
        .mock("GET", "/users/22/accesstokens/list")
        .match_query(no_query())
        .match_header("x-authorization", token_header().as_str())
        .with_body(fixture("tokens_list.json"))
        .expect(1)
        .create();
    let (client, _) = common::client(&server);
    let tokens = client.user(USER).access_tokens().unwrap();
    assert_eq!(tokens.requests(), 1);
    assert_eq!(tokens.len(), 3);
    let names: Vec<&str> = tokens.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["Token #1", "Token #2", "Token #3"]);
    // Ids and times arrive as numeric strings.
    let ids: Vec<AccessTokenId> = tokens.iter().map(|t| t.id_access_token).collect();
    assert_eq!(
        ids,
        [AccessTokenId(50), AccessTokenId(51), AccessTokenId(52)]
    );
    let created: Vec<Option<i64>> = tokens.iter().map(|t| t.created_on).collect();
    assert_eq!(
        created,
        [
            Some(1_508_415_114),
            Some(1_508_415_116),
            Some(1_508_415_119)
        ]
    );
    assert_eq!(
        tokens[0].created_time().map(|t| t.unix_timestamp()),
        Some(1_508_415_114)
    );
    for t in tokens.iter() {
        assert_eq!(t.scope.as_deref(), Some("FULL_ACCESS"));
        assert_eq!(t.expires, None);
        assert_eq!(t.expires_time(), None);
        assert!(t.extra.is_empty(), "{:?}", t.extra);
    }
    list.assert();
}

#[test]
fn access_tokens_list_quirks() {
    let mut server = server();
    let list = server
        .mock("GET", "/users/22/accesstokens/list")
        .match_query(no_query())
        .match_header("x-authorization", token_header().as_str())
        .with_body(
            json!({"success": true, "tokens": [
                {"name": "ha", "idAccessToken": 7, "createdOn": 1508415114,
                 "expires": "1685992714", "lastUsed": "1700000000"},
                {"name": false, "idAccessToken": "8"}
            ]})
            .to_string(),
        )
        .expect(1)
        .create();
    let (client, _) = common::client(&server);
    let tokens = client.user(USER).access_tokens().unwrap();
    assert_eq!(tokens.len(), 2);
    let t = &tokens[0];
    assert_eq!(t.id_access_token, AccessTokenId(7));
    assert_eq!(t.created_on, Some(1_508_415_114));
    assert_eq!(t.expires, Some(1_685_992_714));
    assert_eq!(
        t.expires_time().map(|t| t.unix_timestamp()),
        Some(1_685_992_714)
    );
    assert_eq!(t.scope, None);
    assert_eq!(t.extra.get("lastUsed"), Some(&Value::from("1700000000")));
    let bare = &tokens[1];
    assert_eq!(bare.name, "");
    assert_eq!(bare.id_access_token, AccessTokenId(8));
    assert_eq!((bare.created_on, bare.expires), (None, None));
    list.assert();
}

#[test]
fn access_tokens_false_is_an_empty_list() {
    let mut server = server();
    let list = server
        .mock("GET", "/users/22/accesstokens/list")
        .match_query(no_query())
        .match_header("x-authorization", token_header().as_str())
        .with_body(r#"{"success":true,"tokens":false}"#)
        .expect(1)
        .create();
    let (client, _) = common::client(&server);
    assert!(client.user(USER).access_tokens().unwrap().is_empty());
    list.assert();
}

#[test]
fn create_access_token_posts_the_name() {
    let mut server = server();
    let create = server
        .mock("POST", "/users/22/accesstokens/create")
        .match_query(no_query())
        .match_header("x-authorization", token_header().as_str())
        .match_header("content-type", "application/json")
        .match_body(Matcher::Json(json!({"name": "Token #1"})))
        .with_body(fixture("tokens_create.json"))
        .expect(1)
        .create();
    let (client, _) = common::client(&server);
    let created = client.user(USER).create_access_token("Token #1").unwrap();
    assert_eq!(created.token, "abcd1234efab1234");
    assert_eq!(created.id_access_token, AccessTokenId(123));
    assert_eq!(created.requests(), 1);
    assert_eq!(created.source(), Source::Network);
    // The new token's value stays out of Debug.
    let debug = format!("{created:?}");
    assert!(!debug.contains("abcd1234efab1234"), "{debug}");
    assert!(debug.contains("123"), "{debug}");
    create.assert();
}

#[test]
fn create_access_token_trims_the_name_and_reads_a_string_id() {
    let mut server = server();
    let create = server
        .mock("POST", "/users/22/accesstokens/create")
        .match_query(no_query())
        .match_header("x-authorization", token_header().as_str())
        .match_body(Matcher::Json(json!({"name": "Home Assistant"})))
        .with_body(r#"{"success":true,"token":"t0k-9f","idAccessToken":"124"}"#)
        .expect(1)
        .create();
    let (client, _) = common::client(&server);
    let created = client
        .user(USER)
        .create_access_token("  Home Assistant \n")
        .unwrap();
    assert_eq!(created.token, "t0k-9f");
    assert_eq!(created.id_access_token, AccessTokenId(124));
    create.assert();
}

#[test]
fn create_access_token_duplicate_name_is_an_api_error() {
    let mut server = server();
    let create = server
        .mock("POST", "/users/22/accesstokens/create")
        .match_header("x-authorization", token_header().as_str())
        .match_body(Matcher::PartialJson(json!({"name": "Token #1"})))
        .with_status(400)
        .with_body(
            r#"{"success":false,"errors":{"name":"A token with this name already exists"},"error_code":"duplicate_name"}"#,
        )
        .expect(1)
        .create();
    let (client, _) = common::client(&server);
    let err = client
        .user(USER)
        .create_access_token("Token #1")
        .unwrap_err();
    let api = err.api_error().expect("api error");
    assert_eq!(api.status, 400);
    assert_eq!(api.endpoint, "users/{idUser}/accesstokens/create");
    assert_eq!(api.error_code.as_deref(), Some("duplicate_name"));
    assert_eq!(api.errors, ["name: A token with this name already exists"]);
    create.assert();
}

#[test]
fn create_access_token_with_an_empty_name_sends_nothing() {
    let mut server = server();
    let nothing = server.mock("POST", Matcher::Any).expect(0).create();
    let (client, _) = common::client(&server);
    for name in ["", "   "] {
        let err = client.user(USER).create_access_token(name).unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    }
    nothing.assert();
}

#[test]
fn revoke_one_access_token() {
    let mut server = server();
    let revoke = server
        .mock("GET", "/users/22/accesstokens/50/revoke")
        .match_query(no_query())
        .match_header("x-authorization", token_header().as_str())
        .with_body(r#"{"success":true,"data":{"removed":1}}"#)
        .expect(1)
        .create();
    let (client, _) = common::client(&server);
    let removed = client
        .user(USER)
        .revoke_access_token(Revoke::Id(AccessTokenId(50)))
        .unwrap();
    assert_eq!(*removed, 1);
    assert_eq!(removed.requests(), 1);
    revoke.assert();
}

#[test]
fn revoke_every_access_token_with_the_wildcard() {
    let mut server = server();
    let revoke = server
        .mock("GET", "/users/22/accesstokens/*/revoke")
        .match_query(no_query())
        .match_header("x-authorization", token_header().as_str())
        .with_body(fixture("tokens_revoke.json"))
        .expect(1)
        .create();
    let (client, _) = common::client(&server);
    let removed = client.user(USER).revoke_access_token(Revoke::All).unwrap();
    assert_eq!(removed.into_value(), 3);
    revoke.assert();
}

#[test]
fn revoke_quirks_string_and_false_counts() {
    let mut server = server();
    let as_string = server
        .mock("GET", "/users/22/accesstokens/51/revoke")
        .match_query(no_query())
        .match_header("x-authorization", token_header().as_str())
        .with_body(r#"{"success":true,"data":{"removed":"1","note":"x"}}"#)
        .expect(1)
        .create();
    let as_false = server
        .mock("GET", "/users/22/accesstokens/52/revoke")
        .match_query(no_query())
        .match_header("x-authorization", token_header().as_str())
        .with_body(r#"{"success":true,"data":{"removed":false}}"#)
        .expect(1)
        .create();
    let (client, _) = common::client(&server);
    let user = client.user(USER);
    assert_eq!(
        *user
            .revoke_access_token(Revoke::Id(AccessTokenId(51)))
            .unwrap(),
        1
    );
    assert_eq!(
        *user
            .revoke_access_token(Revoke::Id(AccessTokenId(52)))
            .unwrap(),
        0
    );
    as_string.assert();
    as_false.assert();
}
