//! Bodies that cannot be read become errors that show their start; invalid
//! input is refused before any request.

mod common;

use common::server;
use mockito::Matcher;
use vrm::{
    DownloadData, DownloadFormat, Error, GraphQuery, Interval, OverallStatsQuery, SiteId,
    StatsQuery, TimeWindow, UserId, Widget, WidgetQuery,
};

fn decode_error(body: &str) -> vrm::DecodeError {
    let mut server = server();
    let _m = server
        .mock("GET", "/installations/5/system-overview")
        .with_body(body)
        .create();
    let (client, _) = common::client(&server);
    match client.site(SiteId(5)).system_overview() {
        Err(Error::Decode(e)) => *e,
        other => panic!("expected a decode error for {body:?}, got {other:?}"),
    }
}

#[test]
fn invalid_json_shows_the_start_of_the_body() {
    let e = decode_error("{success: true, records: ???}");
    assert_eq!(e.endpoint, "installations/{idSite}/system-overview");
    assert!(e.snippet.starts_with("{success: true"), "{e:?}");
    assert!(e.to_string().contains("{success: true"), "{e}");
}

#[test]
fn an_html_page_with_status_200_is_a_decode_error() {
    let e = decode_error("<!DOCTYPE html><html><body>Maintenance</body></html>");
    assert!(e.snippet.contains("Maintenance"), "{e:?}");
}

#[test]
fn an_empty_body_is_a_decode_error() {
    let e = decode_error("");
    assert_eq!(e.snippet, "<empty body>");
}

#[test]
fn a_truncated_body_is_a_decode_error() {
    let e = decode_error(r#"{"success":true,"records":{"devices":[{"name":"Gatew"#);
    assert!(e.snippet.ends_with("Gatew"), "{e:?}");
}

#[test]
fn success_false_with_status_200_is_an_api_error() {
    let mut server = server();
    let _m = server
        .mock("GET", "/installations/5/stats")
        .match_query(Matcher::Any)
        .with_body(r#"{"success":false,"error_code":"no_data","errors":["Site has no stats for this period."]}"#)
        .create();
    let (client, _) = common::client(&server);
    let w = TimeWindow::from_unix(1_700_000_000, 1_700_086_400).unwrap();
    let err = client
        .site(SiteId(5))
        .stats(&StatsQuery::kwh(w, Interval::Hours))
        .unwrap_err();
    let api = err.api_error().expect("api error");
    assert_eq!(api.error_code.as_deref(), Some("no_data"));
    assert_eq!(api.errors, ["Site has no stats for this period."]);
}

#[test]
fn error_statuses_keep_vrm_error_code_and_errors() {
    let mut server = server();
    let _m = server
        .mock("GET", "/installations/5/diagnostics")
        .match_query(Matcher::Any)
        .with_status(403)
        .with_body(r#"{"success":false,"errors":"Access denied","error_code":"forbidden"}"#)
        .create();
    let _n = server
        .mock("GET", "/installations/6/tags")
        .with_status(404)
        .with_body(
            r#"{"success":false,"errors":["Installation not found"],"error_code":"not_found"}"#,
        )
        .create();
    let (client, _) = common::client(&server);
    let err = client.site(SiteId(5)).diagnostics(10).unwrap_err();
    assert!(err.is_auth(), "{err:?}");
    assert_eq!(
        err.api_error().unwrap().error_code.as_deref(),
        Some("forbidden")
    );
    let err = client.site(SiteId(6)).tags().unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert_eq!(
        err.to_string(),
        "vrm api error: http 404 from installations/{idSite}/tags (not_found): Installation not found"
    );
}

/// Every invalid input is refused with zero requests made.
#[test]
fn invalid_input_makes_no_request() {
    let mut server = server();
    let nothing = server.mock("GET", Matcher::Any).expect(0).create();
    let nothing_posted = server.mock("POST", Matcher::Any).expect(0).create();
    let (client, _) = common::client(&server);
    let site = client.site(SiteId(5));
    let day = TimeWindow::from_unix(1_700_000_000, 1_700_086_400).unwrap();
    let no_codes: [&str; 0] = [];

    let refusals: Vec<(&str, Error)> = vec![
        (
            "start after end",
            TimeWindow::from_unix(1_700_086_400, 1_700_000_000).unwrap_err(),
        ),
        (
            "custom stats without codes",
            site.stats(&StatsQuery::custom(day, Interval::Hours, no_codes))
                .unwrap_err(),
        ),
        (
            "a malformed code",
            site.stats(&StatsQuery::custom(day, Interval::Hours, ["Pc", "a b"]))
                .unwrap_err(),
        ),
        (
            "overall custom without codes",
            site.overall_stats(&OverallStatsQuery::custom(no_codes))
                .unwrap_err(),
        ),
        (
            "graph without codes",
            site.graph(&GraphQuery::new(no_codes)).unwrap_err(),
        ),
        (
            "summary widget with a window",
            site.widget(&Widget::BatterySummary, &WidgetQuery::new().window(day))
                .unwrap_err(),
        ),
        (
            "a widget name with a slash",
            site.widget(&Widget::Other("../../users/me".into()), &WidgetQuery::new())
                .unwrap_err(),
        ),
        ("diagnostics count 0", site.diagnostics(0).unwrap_err()),
        (
            "an empty token name",
            client
                .user(UserId(1))
                .create_access_token("  ")
                .unwrap_err(),
        ),
    ];
    for (what, err) in refusals {
        assert!(err.is_invalid_input(), "{what}: {err:?}");
        let text = err.to_string();
        assert!(!text.contains('\n'), "{what}: one line: {text}");
    }
    // A data download over a valid window is fine; these stay at zero requests.
    let _ = (DownloadFormat::Csv, DownloadData::Log);
    nothing.assert();
    nothing_posted.assert();
    assert_eq!(client.counters().requests, 0);
}

#[test]
fn errors_name_the_value_and_what_is_accepted() {
    let e = "minutes".parse::<Interval>().unwrap_err();
    assert!(e.to_string().contains("\"minutes\"") && e.to_string().contains("15mins"));
    let e = TimeWindow::from_unix(20, 10).unwrap_err();
    assert!(e.to_string().contains("20") && e.to_string().contains("10"));
}
