//! Admin and firmware operations (undocumented shapes: JSON values), their
//! 403 for non-admins, caching as CacheKind::Admin, and the add-system write.

mod common;

use common::{expect_get, expect_write, mock_me, no_request, server, token_header};
use mockito::Matcher;
use serde_json::{Value, json};
use vrm::{AdminQuery, Cache, CacheMode, Error, Source};

#[test]
fn admin_reads_exact_requests_and_json_answers() {
    let mut server = server();
    let (client, _) = common::client(&server);
    let devices = expect_get(
        &mut server,
        "/admin/devices",
        "page=2&ids%5B%5D=1&ids%5B%5D=2",
        r#"{"success":true,"records":[{"idSite":"5","productName":"Cerbo GX","firmwareVersion":false}]}"#,
    );
    let answer = client
        .admin_devices(
            &AdminQuery::new()
                .param("page", "2")
                .param("ids[]", "1")
                .param("ids[]", "2"),
        )
        .unwrap();
    assert_eq!(answer["records"][0]["productName"], Value::from("Cerbo GX"));
    assert_eq!(answer["records"][0]["firmwareVersion"], Value::Bool(false));
    devices.assert();

    let count = expect_get(
        &mut server,
        "/admin/installation-data-attributes-count",
        "",
        r#"{"success":true,"data":{"bs":"1200","IV1":7}}"#,
    );
    let answer = client
        .admin_installation_data_attributes_count(&AdminQuery::new())
        .unwrap();
    assert_eq!(answer["data"]["IV1"], Value::from(7));
    count.assert();

    let firmwares = expect_get(
        &mut server,
        "/firmwares",
        "product=cerbo",
        r#"[{"version":"v3.60","file":"venus-image-einstein.swu"}]"#,
    );
    let answer = client
        .firmwares(&AdminQuery::new().param("product", "cerbo"))
        .unwrap();
    assert_eq!(answer[0]["version"], Value::from("v3.60"));
    firmwares.assert();

    let csv = "idSite,name\n5,\"Boat, blue\"\n";
    let download = server
        .mock("GET", "/admin/search-download")
        .match_query(Matcher::Exact("search=boat".into()))
        .match_header("x-authorization", token_header().as_str())
        .with_header("content-type", "text/csv")
        .with_body(csv)
        .expect(1)
        .create();
    let file = client
        .admin_search_download(&AdminQuery::new().param("search", "boat"))
        .unwrap();
    assert_eq!(file.as_slice(), csv.as_bytes());
    download.assert();
}

#[test]
fn non_admins_get_403() {
    let mut server = server();
    let body = r#"{"success":false,"errors":"Not allowed","error_code":"forbidden"}"#;
    let mocks: Vec<_> = [
        "/admin/devices",
        "/admin/installation-data-attributes-count",
        "/admin/search-download",
    ]
    .into_iter()
    .map(|path| {
        server
            .mock("GET", path)
            .with_status(403)
            .with_body(body)
            .expect(1)
            .create()
    })
    .collect();
    let (client, _) = common::client(&server);
    let q = AdminQuery::new();
    let errors = [
        client.admin_devices(&q).unwrap_err(),
        client
            .admin_installation_data_attributes_count(&q)
            .unwrap_err(),
        client.admin_search_download(&q).unwrap_err(),
    ];
    for e in errors {
        match e {
            Error::Api(api) => {
                assert_eq!(api.status, 403);
                assert_eq!(api.error_code.as_deref(), Some("forbidden"));
            }
            other => panic!("{other:?}"),
        }
    }
    for m in mocks {
        m.assert();
    }
    // success:false with a 200 is an error too.
    let m = server
        .mock("GET", "/firmwares")
        .with_body(body)
        .expect(1)
        .create();
    assert!(matches!(
        client.firmwares(&q).unwrap_err(),
        Error::Api(api) if api.status == 200
    ));
    m.assert();
}

#[test]
fn admin_reads_are_cached() {
    let mut server = server();
    mock_me(&mut server, 22);
    let cache = Cache::in_memory().unwrap();
    let mock = server
        .mock("GET", "/firmwares")
        .with_body(r#"{"success":true,"records":[]}"#)
        .expect(1)
        .create();
    let (client, _) = common::cached_client(&server, &cache);
    client.firmwares(&AdminQuery::new()).unwrap();
    let again = client.firmwares(&AdminQuery::new()).unwrap();
    assert_eq!(again.source(), Source::Cache);
    assert_eq!(again.requests(), 0);
    mock.assert();
}

#[test]
fn add_system_posts_the_body_and_drops_the_installation_lists() {
    let mut server = server();
    mock_me(&mut server, 22);
    let cache = Cache::in_memory().unwrap();
    let list = server
        .mock("GET", "/users/22/installations")
        .match_query(Matcher::Any)
        .with_body(r#"{"success":true,"records":[]}"#)
        .expect(2)
        .create();
    let add = expect_write(
        &mut server,
        "POST",
        "/systems/add-system",
        json!({"installationIdentifier": "c0619ab1a2b3", "name": "Boat ü"}),
        r#"{"success":true,"records":{"idSite":"987"}}"#,
    );
    let (client, _) = common::cached_client(&server, &cache);
    let user = client.user(vrm::UserId(22));
    user.installations().unwrap();
    assert_eq!(user.installations().unwrap().requests(), 0);
    let answer = client
        .add_system(&json!({"installationIdentifier": "c0619ab1a2b3", "name": "Boat ü"}))
        .unwrap();
    assert_eq!(answer["records"]["idSite"], Value::from("987"));
    assert_eq!(user.installations().unwrap().source(), Source::Network);
    add.assert();
    list.assert();
}

#[test]
fn add_system_refused_without_a_body_offline_and_by_vrm() {
    let mut server = server();
    let none = no_request(&mut server);
    let (client, _) = common::client(&server);
    for body in [json!({}), json!([]), json!("x"), Value::Null] {
        let e = client.add_system(&body).unwrap_err();
        assert!(matches!(e, Error::InvalidInput(_)), "{body}: {e:?}");
    }
    let offline = common::builder(&server, &common::clock())
        .personal_token(common::TOKEN)
        .cache(Cache::in_memory().unwrap())
        .cache_mode(CacheMode::Offline)
        .build()
        .unwrap();
    let e = offline.add_system(&json!({"name": "x"})).unwrap_err();
    assert!(matches!(e, Error::NotCached(_)), "{e:?}");
    common::assert_no_request(&none);

    let mut server = common::server();
    let refused = server
        .mock("POST", "/systems/add-system")
        .with_body(r#"{"success":false,"errors":["Unknown identifier"],"error_code":"invalid_identifier"}"#)
        .expect(1)
        .create();
    let (client, _) = common::client(&server);
    match client.add_system(&json!({"installationIdentifier": "x"})) {
        Err(Error::Api(api)) => assert_eq!(api.error_code.as_deref(), Some("invalid_identifier")),
        other => panic!("{other:?}"),
    }
    refused.assert();
}
