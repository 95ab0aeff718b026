//! Users: `users/me`, a user's installations (plain, `extended=1`, one
//! site by `idSite`), `users/me/…` in place of an id, search, invites,
//! get-site-id, addsite, and personal access tokens (list, create with or
//! without expiry, revoke one or all the 2026 way with the old fallback).
//!
//! Every mock pins the method, the path, the exact query, the
//! `X-Authorization` header and (for POSTs) the JSON body, and expects to be
//! hit exactly once.

mod common;

use common::{NOW, expect_get, fixture, server, token_header};
use mockito::Matcher;
use serde_json::{Value, json};
use time::OffsetDateTime;
use vrm::{AccessTokenId, Cache, CacheMode, Error, Revoke, SiteId, Source, UserId};

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

// ---- revoke: DELETE first, the old GET only after a 404 or 405 ------------------------

/// Mock `DELETE /users/22/accesstokens/{which}` answering `status` and `body`.
fn expect_delete(
    server: &mut mockito::ServerGuard,
    which: &str,
    status: usize,
    body: &str,
) -> mockito::Mock {
    server
        .mock("DELETE", format!("/users/22/accesstokens/{which}").as_str())
        .match_query(no_query())
        .match_header("x-authorization", token_header().as_str())
        .with_status(status)
        .with_body(body)
        .expect(1)
        .create()
}

#[test]
fn revoke_one_access_token_with_delete() {
    let mut server = server();
    let revoke = expect_delete(
        &mut server,
        "50",
        200,
        r#"{"success":true,"data":{"removed":1}}"#,
    );
    let old = server
        .mock("GET", Matcher::Any)
        .match_query(Matcher::Any)
        .expect(0)
        .create();
    let (client, _) = common::client(&server);
    let removed = client
        .user(USER)
        .revoke_access_token(Revoke::Id(AccessTokenId(50)))
        .unwrap();
    assert_eq!(*removed, 1);
    assert_eq!((removed.requests(), removed.source()), (1, Source::Network));
    revoke.assert();
    old.assert();
}

#[test]
fn revoke_every_access_token_with_the_wildcard() {
    let mut server = server();
    let revoke = expect_delete(&mut server, "*", 200, &fixture("tokens_revoke.json"));
    let (client, _) = common::client(&server);
    let removed = client.user(USER).revoke_access_token(Revoke::All).unwrap();
    assert_eq!(removed.into_value(), 3);
    revoke.assert();
}

#[test]
fn revoke_an_unknown_id_says_removed_zero() {
    let mut server = server();
    let revoke = expect_delete(
        &mut server,
        "999",
        200,
        r#"{"success":true,"data":{"removed":0}}"#,
    );
    let (client, _) = common::client(&server);
    let removed = client
        .user(USER)
        .revoke_access_token(Revoke::Id(AccessTokenId(999)))
        .unwrap();
    assert_eq!(*removed, 0, "VRM knew no such token: the caller sees 0");
    revoke.assert();
}

#[test]
fn revoke_falls_back_to_the_old_get_after_a_404_or_a_405() {
    for status in [404, 405] {
        let mut server = server();
        let delete = expect_delete(
            &mut server,
            "51",
            status,
            r#"{"success":false,"errors":"No route","error_code":"route_not_found"}"#,
        );
        let old = server
            .mock("GET", "/users/22/accesstokens/51/revoke")
            .match_query(no_query())
            .match_header("x-authorization", token_header().as_str())
            .with_body(r#"{"success":true,"data":{"removed":"1","note":"x"}}"#)
            .expect(1)
            .create();
        let (client, _) = common::client(&server);
        let removed = client
            .user(USER)
            .revoke_access_token(Revoke::Id(AccessTokenId(51)))
            .unwrap();
        assert_eq!(*removed, 1, "after {status}");
        assert_eq!(removed.requests(), 2, "both requests counted");
        delete.assert();
        old.assert();
    }
}

#[test]
fn revoke_does_not_fall_back_after_other_errors() {
    for status in [400, 401, 403, 500, 503] {
        let mut server = server();
        let delete = expect_delete(
            &mut server,
            "*",
            status,
            r#"{"success":false,"errors":"no","error_code":"nope"}"#,
        );
        let old = server
            .mock("GET", Matcher::Any)
            .match_query(Matcher::Any)
            .expect(0)
            .create();
        let (client, _) = common::client(&server);
        let e = client
            .user(USER)
            .revoke_access_token(Revoke::All)
            .expect_err("the DELETE's failure is the answer");
        assert!(
            matches!(&e, Error::Api(a) if a.status == status as u16)
                || (status == 401 && e.is_auth()),
            "{status}: {e:?}"
        );
        delete.assert();
        old.assert();
    }
}

#[test]
fn revoke_false_count_is_zero() {
    let mut server = server();
    let revoke = expect_delete(
        &mut server,
        "52",
        200,
        r#"{"success":true,"data":{"removed":false}}"#,
    );
    let (client, _) = common::client(&server);
    assert_eq!(
        *client
            .user(USER)
            .revoke_access_token(Revoke::Id(AccessTokenId(52)))
            .unwrap(),
        0
    );
    revoke.assert();
}

#[test]
fn create_access_token_with_an_expiry_sends_unix_seconds() {
    let mut server = server();
    let expiry = NOW + 30 * 86_400;
    let create = common::expect_write(
        &mut server,
        "POST",
        "/users/22/accesstokens/create",
        json!({"name": "ci", "expiry": expiry}),
        r#"{"success":true,"token":"t0k-exp","idAccessToken":125}"#,
    );
    let (client, _) = common::client(&server);
    let created = client
        .user(USER)
        .create_access_token_expiring("ci", OffsetDateTime::from_unix_timestamp(expiry).unwrap())
        .unwrap();
    assert_eq!(created.id_access_token, AccessTokenId(125));
    create.assert();
}

#[test]
fn create_access_token_with_a_past_expiry_sends_nothing() {
    let mut server = server();
    let none = common::no_request(&mut server);
    let (client, _) = common::client(&server);
    for at in [NOW, NOW - 1] {
        let e = client
            .user(USER)
            .create_access_token_expiring("ci", OffsetDateTime::from_unix_timestamp(at).unwrap())
            .unwrap_err();
        assert!(e.is_invalid_input(), "{e:?}");
        assert!(
            e.to_string().contains("expected a time in the future"),
            "{e}"
        );
    }
    common::assert_no_request(&none);
}

#[test]
fn token_and_user_writes_are_refused_offline_with_no_request() {
    let dir = common::TempDir::new("users-offline");
    let cache = Cache::open(dir.join("cache.db")).unwrap();
    let mut server = server();
    let none = common::no_request(&mut server);
    let client = common::builder(&server, &common::clock())
        .personal_token(common::TOKEN)
        .cache(cache)
        .cache_mode(CacheMode::Offline)
        .build()
        .unwrap();
    let user = client.user(USER);
    let errors = [
        user.revoke_access_token(Revoke::All)
            .map(|_| ())
            .unwrap_err(),
        user.create_access_token("x").map(|_| ()).unwrap_err(),
        user.add_site("abc123").map(|_| ()).unwrap_err(),
        user.site_id("abc123").map(|_| ()).unwrap_err(),
    ];
    for e in errors {
        assert!(matches!(e, Error::NotCached(_)), "{e:?}");
        assert!(
            e.to_string().contains("offline mode sends no request"),
            "{e}"
        );
    }
    common::assert_no_request(&none);
}

// ---- users/me/… in place of an id ----------------------------------------------------

#[test]
fn user_me_addresses_users_me_without_learning_the_id() {
    let mut server = server();
    let me = server.mock("GET", "/users/me").expect(0).create();
    let list = expect_get(
        &mut server,
        "/users/me/installations",
        "",
        r#"{"success":true,"records":[{"idSite":5,"name":"Shed"}]}"#,
    );
    let tokens = expect_get(
        &mut server,
        "/users/me/accesstokens/list",
        "",
        r#"{"success":true,"tokens":[]}"#,
    );
    let (client, _) = common::client(&server);
    let user = client.user_me();
    assert_eq!(user.id(), None);
    assert_eq!(user.user_ref().to_string(), "me");
    assert_eq!(client.user(USER).id(), Some(USER));
    let sites = user.installations().unwrap();
    assert_eq!(sites[0].id_site, SiteId(5));
    assert!(user.access_tokens().unwrap().is_empty());
    list.assert();
    tokens.assert();
    me.assert();
}

// ---- installations?idSite= -------------------------------------------------------------

#[test]
fn installation_filters_by_id_site_and_is_cached_like_the_list() {
    let dir = common::TempDir::new("users-idsite");
    let cache = Cache::open(dir.join("cache.db")).unwrap();
    let mut server = server();
    let me = common::mock_me(&mut server, 22);
    let one = expect_get(
        &mut server,
        "/users/22/installations",
        "idSite=151734",
        r#"{"success":true,"records":[{"idSite":"151734","name":"Home","identifier":"d41243cd7c66"}]}"#,
    );
    let extended = expect_get(
        &mut server,
        "/users/22/installations",
        "extended=1&idSite=151734",
        r#"{"success":true,"records":[{"idSite":151734,"name":"Home","tags":false}]}"#,
    );
    let missing = expect_get(
        &mut server,
        "/users/22/installations",
        "idSite=9",
        r#"{"success":true,"records":[]}"#,
    );
    let (client, _) = common::cached_client(&server, &cache);
    let user = client.user(USER);
    let site = user.installation(SiteId(151_734)).unwrap();
    assert_eq!(site.source(), Source::Network);
    let site = site.into_value().expect("the site");
    assert_eq!(site.name.as_deref(), Some("Home"));
    assert_eq!(site.identifier.as_deref(), Some("d41243cd7c66"));
    let again = user.installation(SiteId(151_734)).unwrap();
    assert_eq!((again.source(), again.requests()), (Source::Cache, 0));
    assert!(
        user.installation_extended(SiteId(151_734))
            .unwrap()
            .is_some()
    );
    assert_eq!(*user.installation(SiteId(9)).unwrap(), None);
    one.assert();
    extended.assert();
    missing.assert();
    me.assert();
}

// ---- search, invites --------------------------------------------------------------------

#[test]
fn search_sends_the_query_and_is_cached() {
    let dir = common::TempDir::new("users-search");
    let cache = Cache::open(dir.join("cache.db")).unwrap();
    let mut server = server();
    let me = common::mock_me(&mut server, 22);
    let search = expect_get(
        &mut server,
        "/users/22/search",
        "query=foo%20bar",
        r#"{"success":true,"count":1,"results":[{"site_id":1,"site_identifier":"abcdef1234",
            "site_name":"foobar","avatar_url":"","highlight":{"site_name":["<em>foo</em>bar"]}}]}"#,
    );
    let (client, _) = common::cached_client(&server, &cache);
    let hits = client.user(USER).search(" foo bar ").unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].site_id, Some(SiteId(1)));
    assert_eq!(hits[0].site_name.as_deref(), Some("foobar"));
    let again = client.user(USER).search("foo bar").unwrap();
    assert_eq!((again.source(), again.requests()), (Source::Cache, 0));
    search.assert();
    me.assert();
}

#[test]
fn search_without_a_query_sends_nothing() {
    let mut server = server();
    let none = common::no_request(&mut server);
    let (client, _) = common::client(&server);
    for q in ["", "  \t"] {
        let e = client.user(USER).search(q).unwrap_err();
        assert!(e.is_invalid_input(), "{e:?}");
        assert!(e.to_string().contains("search query"), "{e}");
    }
    common::assert_no_request(&none);
}

#[test]
fn search_error_body_is_an_api_error() {
    let mut server = server();
    let _m = server
        .mock("GET", "/users/22/search")
        .match_query(Matcher::Any)
        .with_status(400)
        .with_body(r#"{"success":false,"error_code":"empty_search","error":["No search string has been provided."]}"#)
        .create();
    let (client, _) = common::client(&server);
    let e = client.user(USER).search("x").unwrap_err();
    assert!(
        matches!(&e, Error::Api(a) if a.status == 400 && a.error_code.as_deref() == Some("empty_search")),
        "{e:?}"
    );
}

#[test]
fn invites_are_read_and_cached() {
    let dir = common::TempDir::new("users-invites");
    let cache = Cache::open(dir.join("cache.db")).unwrap();
    let mut server = server();
    let me = common::mock_me(&mut server, 22);
    let invites = expect_get(
        &mut server,
        "/users/22/invites",
        "",
        r#"{"success":true,"data":{
            "invitesSiteGroups":[{"idSiteGroup":1234,"siteGroupName":"Installation Group 1","inviteKey":"k1","inviterName":"John Doe","inviteTimestamp":1752046191}],
            "invitesUserGroups":[{"idUserGroup":"77","userGroupName":"Team 1","personalMessage":false}],
            "requestsUserGroups":false,
            "requestsInstallations":[{"idSite":4321,"installationName":"Main Site","inviteeName":"Jane Doe","idUser":5678}]}}"#,
    );
    let (client, _) = common::cached_client(&server, &cache);
    let got = client.user(USER).invites().unwrap();
    assert_eq!(
        got.site_groups[0].site_group_name.as_deref(),
        Some("Installation Group 1")
    );
    assert_eq!(got.user_groups[0].id_user_group, Some(vrm::UserGroupId(77)));
    assert_eq!(got.user_groups[0].personal_message, None);
    assert!(got.user_group_requests.is_empty());
    assert_eq!(got.installation_requests[0].id_site, Some(SiteId(4321)));
    let again = client.user(USER).invites().unwrap();
    assert_eq!((again.source(), again.requests()), (Source::Cache, 0));
    invites.assert();
    me.assert();
}

// ---- get-site-id, addsite ---------------------------------------------------------------

#[test]
fn site_id_posts_the_identifier_and_is_never_cached() {
    let dir = common::TempDir::new("users-siteid");
    let cache = Cache::open(dir.join("cache.db")).unwrap();
    let mut server = server();
    let post = server
        .mock("POST", "/users/22/get-site-id")
        .match_query(no_query())
        .match_header("x-authorization", token_header().as_str())
        .match_header("content-type", "application/json")
        .match_body(Matcher::Json(
            json!({"installation_identifier": "d41243cd7c66"}),
        ))
        .with_body(r#"{"success":true,"records":{"site_id":"151734"}}"#)
        .expect(2)
        .create();
    let (client, _) = common::cached_client(&server, &cache);
    for _ in 0..2 {
        let id = client.user(USER).site_id(" d41243cd7c66 ").unwrap();
        assert_eq!(*id, SiteId(151_734));
        assert_eq!(id.source(), Source::Network);
    }
    post.assert();
}

#[test]
fn site_id_unknown_identifier_is_an_api_error() {
    let mut server = server();
    let _m = server
        .mock("POST", "/users/22/get-site-id")
        .with_status(404)
        .with_body(
            r#"{"success":false,"errors":"Installation not found","error_code":"not_found"}"#,
        )
        .expect(1)
        .create();
    let (client, _) = common::client(&server);
    let e = client.user(USER).site_id("nope").unwrap_err();
    assert!(e.is_not_found(), "{e:?}");
}

#[test]
fn identifiers_are_checked_before_sending() {
    let mut server = server();
    let none = common::no_request(&mut server);
    let (client, _) = common::client(&server);
    for bad in ["", "  ", "ab cd", "a\u{1b}b"] {
        for e in [
            client.user(USER).site_id(bad).map(|_| ()).unwrap_err(),
            client.user(USER).add_site(bad).map(|_| ()).unwrap_err(),
        ] {
            assert!(e.is_invalid_input(), "{bad:?}: {e:?}");
            assert!(e.to_string().contains("installation identifier"), "{e}");
        }
    }
    common::assert_no_request(&none);
}

#[test]
fn add_site_posts_and_drops_the_cached_installations_and_searches() {
    let dir = common::TempDir::new("users-addsite");
    let cache = Cache::open(dir.join("cache.db")).unwrap();
    let mut server = server();
    let me = common::mock_me(&mut server, 22);
    let list = server
        .mock("GET", "/users/22/installations")
        .match_query(no_query())
        .with_body(r#"{"success":true,"records":[{"idSite":5}]}"#)
        .expect(2)
        .create();
    let search = server
        .mock("GET", "/users/22/search")
        .match_query(Matcher::Exact("query=x".into()))
        .with_body(r#"{"success":true,"count":0,"results":[]}"#)
        .expect(2)
        .create();
    let add = common::expect_write(
        &mut server,
        "POST",
        "/users/22/addsite",
        json!({"installation_identifier": "c0ffee123456"}),
        r#"{"success":true,"records":{"site_id":"777"}}"#,
    );
    let (client, _) = common::cached_client(&server, &cache);
    let user = client.user(USER);
    user.installations().unwrap();
    user.search("x").unwrap();
    assert_eq!(user.installations().unwrap().source(), Source::Cache);
    let added = user.add_site("c0ffee123456").unwrap();
    assert_eq!((*added, added.requests()), (SiteId(777), 1));
    assert_eq!(user.installations().unwrap().source(), Source::Network);
    assert_eq!(user.search("x").unwrap().source(), Source::Network);
    add.assert();
    list.assert();
    search.assert();
    me.assert();
}

#[test]
fn add_site_refused_by_vrm_drops_nothing() {
    let dir = common::TempDir::new("users-addsite-refused");
    let cache = Cache::open(dir.join("cache.db")).unwrap();
    let mut server = server();
    let _me = common::mock_me(&mut server, 22);
    let list = server
        .mock("GET", "/users/22/installations")
        .match_query(no_query())
        .with_body(r#"{"success":true,"records":[{"idSite":5}]}"#)
        .expect(1)
        .create();
    let _add = server
        .mock("POST", "/users/22/addsite")
        .with_status(400)
        .with_body(
            r#"{"success":false,"errors":"Unknown identifier","error_code":"invalid_identifier"}"#,
        )
        .expect(1)
        .create();
    let (client, _) = common::cached_client(&server, &cache);
    let user = client.user(USER);
    user.installations().unwrap();
    let e = user.add_site("c0ffee123456").unwrap_err();
    assert!(
        matches!(&e, Error::Api(a) if a.error_code.as_deref() == Some("invalid_identifier")),
        "{e:?}"
    );
    assert_eq!(user.installations().unwrap().source(), Source::Cache);
    list.assert();
}
