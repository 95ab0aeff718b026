//! `vrm report` run as a user runs it, against a VRM-like server whose
//! values are known: exact local days in every kind of time zone, no
//! invented numbers, and the chart to open (SVG and HTML; rendered in
//! headless Chromium when `VRM_TEST_CHROMIUM` names it, as CI does).
#![cfg(feature = "cli")]

mod common;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use common::TempDir;
use common::slow::SlowVrm;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_vrm");
const QUARTER: i64 = 900;
const HOUR: i64 = 3600;
const CODES: [&str; 8] = ["Pc", "Gc", "Bc", "gc", "Pb", "Gb", "Pg", "Bg"];

/// The energy of `code` in the quarter hour starting at `t` (kWh): known,
/// different per code and quarter, exact in binary.
fn quarter_value(code: &str, t: i64) -> f64 {
    let i = CODES.iter().position(|c| *c == code).unwrap_or(0) as i64;
    ((t / QUARTER).rem_euclid(8) + i) as f64 / 4.0
}

/// How the server holds its data.
#[derive(Clone, Copy)]
struct Site {
    tz: &'static str,
    /// No data before this instant (a site commissioned later).
    data_from: i64,
    /// Whole hours only, even for 15-minute queries (older GX firmware).
    hours_only: bool,
}

fn param<'a>(target: &'a str, key: &str) -> Option<&'a str> {
    target
        .split_once('?')?
        .1
        .split('&')
        .find_map(|p| p.split_once('=').filter(|(k, _)| *k == key).map(|(_, v)| v))
}

/// A server of one site (id 1, account 22) answering stats from
/// [`quarter_value`]: a bucket holds the sum of its quarters.
fn server(site: Site) -> SlowVrm {
    SlowVrm::start(Duration::ZERO, None, move |_, target| {
        if target.starts_with("users/me") {
            return (200, br#"{"success":true,"user":{"id":22}}"#.to_vec());
        }
        if target.starts_with("users/22/installations") {
            let body = format!(
                r#"{{"success":true,"records":[{{"idSite":1,"name":"Roof <&> test","timezone":"{}"}}]}}"#,
                site.tz
            );
            return (200, body.into_bytes());
        }
        if !target.starts_with("installations/1/stats?") {
            return (404, br#"{"success":false,"errors":"no route"}"#.to_vec());
        }
        let step = match param(target, "interval") {
            Some("15mins") if !site.hours_only => QUARTER,
            _ => HOUR,
        };
        let start: i64 = param(target, "start")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let end: i64 = param(target, "end")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut records = serde_json::Map::new();
        for code in target
            .split('&')
            .filter_map(|p| p.strip_prefix("attributeCodes%5B%5D="))
        {
            let mut points = Vec::new();
            let mut t = start;
            while t < end {
                if t >= site.data_from {
                    let v: f64 = (0..step / QUARTER)
                        .map(|q| quarter_value(code, t + q * QUARTER))
                        .sum();
                    points.push(serde_json::json!([t * 1000, v]));
                }
                t += step;
            }
            records.insert(code.to_owned(), Value::Array(points));
        }
        let body = serde_json::json!({"success": true, "records": records, "totals": {}});
        (200, body.to_string().into_bytes())
    })
}

/// `vrm` with a clean environment, a token, the server and a cache in `dir`.
fn vrm(server: &SlowVrm, dir: &TempDir, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .env_clear()
        .env("HOME", dir.join("home"))
        .env("XDG_CACHE_HOME", dir.join("xdg"))
        .env("VRM_TOKEN", "test-token")
        .args(["--base-url", &server.url, "--cache"])
        .arg(dir.join("cache.db"))
        .args(args)
        .output()
        .expect("vrm runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json_report(server: &SlowVrm, dir: &TempDir, from: &str, to: &str) -> Value {
    let (code, stdout, stderr) = vrm(
        server,
        dir,
        &[
            "report", "1", "--from", from, "--to", to, "--format", "json",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str(&stdout).expect("json")
}

/// The exact energy of each code over `[start, end)`.
fn exact(start: i64, end: i64) -> BTreeMap<&'static str, f64> {
    let mut out = BTreeMap::new();
    for code in CODES {
        let mut t = start;
        let mut sum = 0.0;
        while t < end {
            sum += quarter_value(code, t);
            t += QUARTER;
        }
        out.insert(code, sum);
    }
    let consumption = out["Pc"] + out["Gc"] + out["Bc"] + out["gc"];
    out.insert("consumption", consumption);
    out
}

#[track_caller]
fn assert_day(day: &Value, date: &str, hours: i64, values: &BTreeMap<&str, f64>) {
    assert_eq!(day["date"], date, "{day}");
    let (start, end) = (day["start"].as_i64().unwrap(), day["end"].as_i64().unwrap());
    assert_eq!(end - start, hours * HOUR, "{date}: {day}");
    for (code, v) in values {
        assert_eq!(day[*code].as_f64(), Some(*v), "{date} {code}: {day}");
    }
}

#[test]
fn a_half_hour_zone_gets_exact_local_days_from_quarters() {
    let server = server(Site {
        tz: "Asia/Kolkata",
        data_from: 0,
        hours_only: false,
    });
    let dir = TempDir::new("report-kolkata");
    let v = json_report(
        &server,
        &dir,
        "2024-11-20T00:00:00+05:30",
        "2024-11-22T00:00:00+05:30",
    );
    let days = v["data"]["days"].as_array().expect("days");
    assert_eq!(days.len(), 2, "{v}");
    // 2024-11-20T00:00+05:30 = 2024-11-19T18:30Z.
    let d0 = 1_732_041_000;
    assert_day(&days[0], "2024-11-20", 24, &exact(d0, d0 + 24 * HOUR));
    assert_day(
        &days[1],
        "2024-11-21",
        24,
        &exact(d0 + 24 * HOUR, d0 + 48 * HOUR),
    );
    assert_eq!(v["data"]["shifted_edges"], serde_json::json!([]));
    // One 15-minute request over the whole hours around the days.
    let paths = server.paths();
    let stats: Vec<&String> = paths.iter().filter(|p| p.contains("/stats?")).collect();
    assert_eq!(stats.len(), 1, "{paths:?}");
    assert!(stats[0].contains("interval=15mins"), "{}", stats[0]);
    assert!(
        stats[0].contains(&format!("start={}", d0 - 1800)),
        "{}",
        stats[0]
    );
    assert!(
        stats[0].contains(&format!("end={}", d0 + 48 * HOUR + 1800)),
        "{}",
        stats[0]
    );
    assert!(
        stats[0].contains("attributeCodes%5B%5D=Bg"),
        "Bg is asked: {}",
        stats[0]
    );
    // The same from the cache, with no request.
    let again = json_report(
        &server,
        &dir,
        "2024-11-20T00:00:00+05:30",
        "2024-11-22T00:00:00+05:30",
    );
    assert_eq!(
        (again["source"].as_str(), again["requests"].as_u64()),
        (Some("cache"), Some(0))
    );
    assert_eq!(again["data"], v["data"]);
}

#[test]
fn every_kind_of_zone_gets_its_own_days() {
    // (zone, first day, last day exclusive, hours of each day, interval)
    let cases: [(&str, &str, &str, &[i64], &str); 6] = [
        (
            "Asia/Kathmandu",
            "2024-11-20",
            "2024-11-22",
            &[24, 24],
            "15mins",
        ),
        (
            "America/St_Johns",
            "2024-11-20",
            "2024-11-22",
            &[24, 24],
            "15mins",
        ),
        (
            "Pacific/Kiritimati",
            "2024-11-20",
            "2024-11-22",
            &[24, 24],
            "hours",
        ),
        // Europe leaves summer time on 27 October 2024 (25 h) and enters
        // it on 31 March 2024 (23 h).
        (
            "Europe/Amsterdam",
            "2024-10-26",
            "2024-10-29",
            &[24, 25, 24],
            "hours",
        ),
        (
            "Europe/Amsterdam",
            "2024-03-30",
            "2024-04-02",
            &[24, 23, 24],
            "hours",
        ),
        // Lord Howe moves by half an hour for summer time (7 April 2024).
        (
            "Australia/Lord_Howe",
            "2024-04-06",
            "2024-04-08",
            &[24, 24],
            "15mins",
        ),
    ];
    for (tz, from, to, hours, interval) in cases {
        let server = server(Site {
            tz,
            data_from: 0,
            hours_only: false,
        });
        let dir = TempDir::new("report-zones");
        let v = json_report(&server, &dir, from, to);
        let days = v["data"]["days"].as_array().expect("days");
        assert_eq!(days.len(), hours.len(), "{tz}: {v}");
        for (day, h) in days.iter().zip(hours) {
            let start = day["start"].as_i64().unwrap();
            let end = day["end"].as_i64().unwrap();
            let date = day["date"].as_str().unwrap().to_owned();
            let expected_hours = if tz == "Australia/Lord_Howe" && date == "2024-04-07" {
                // 24.5 hours: the clock goes back 30 minutes.
                assert_eq!(end - start, 24 * HOUR + 1800, "{tz} {date}");
                assert_eq!(
                    day["Pc"].as_f64(),
                    Some(exact(start, end)["Pc"]),
                    "{tz} {date}"
                );
                continue;
            } else {
                *h
            };
            assert_day(day, &date, expected_hours, &exact(start, end));
        }
        let paths = server.paths();
        assert!(
            paths
                .iter()
                .any(|p| p.contains(&format!("interval={interval}"))),
            "{tz}: {paths:?}"
        );
    }
}

#[test]
fn whole_hours_only_go_to_one_day_and_the_report_says_so() {
    let server = server(Site {
        tz: "Asia/Kolkata",
        data_from: 0,
        hours_only: true,
    });
    let dir = TempDir::new("report-hours-only");
    let v = json_report(&server, &dir, "2024-11-20", "2024-11-22");
    let days = v["data"]["days"].as_array().expect("days");
    let d0 = 1_732_041_000;
    // Each edge's hour (18:00–19:00 UTC) goes to the later day: every edge
    // is 30 minutes early, the report's first and last included.
    assert_day(
        &days[0],
        "2024-11-20",
        24,
        &exact(d0 - 1800, d0 + 24 * HOUR - 1800),
    );
    assert_eq!(
        v["data"]["shifted_edges"],
        serde_json::json!([
            {"date": "2024-11-20", "minutes": -30},
            {"date": "2024-11-21", "minutes": -30},
            {"date": "2024-11-22", "minutes": -30}
        ])
    );
    let (code, table, _) = vrm(
        &server,
        &dir,
        &["report", "1", "--from", "2024-11-20", "--to", "2024-11-22"],
    );
    assert_eq!(code, 0);
    assert!(
        table.contains("the day edge at 2024-11-21 00:00 (local) is 30 min earlier"),
        "{table}"
    );
}

#[test]
fn days_without_data_are_blank_never_zero() {
    // Data from the second day on (the site was commissioned then).
    let d1 = 1_732_060_800 + 24 * HOUR; // 2024-11-21T00:00Z
    let server = server(Site {
        tz: "UTC",
        data_from: d1,
        hours_only: false,
    });
    let dir = TempDir::new("report-missing");
    let v = json_report(&server, &dir, "2024-11-20", "2024-11-23");
    let days = v["data"]["days"].as_array().expect("days");
    assert_eq!(days.len(), 3);
    for code in CODES {
        assert_eq!(days[0][code], Value::Null, "{code}: {}", days[0]);
    }
    assert_eq!(days[0]["consumption"], Value::Null);
    assert_day(&days[1], "2024-11-21", 24, &exact(d1, d1 + 24 * HOUR));
    assert_eq!(v["data"]["missing_days"], 1);
    // batt>grid comes from the answer (Bg is asked), not a constant 0.
    assert_eq!(
        days[1]["Bg"].as_f64(),
        Some(exact(d1, d1 + 24 * HOUR)["Bg"])
    );
    let (code, csv, _) = vrm(
        &server,
        &dir,
        &[
            "report",
            "1",
            "--from",
            "2024-11-20",
            "--to",
            "2024-11-23",
            "--format",
            "csv",
        ],
    );
    assert_eq!(code, 0);
    let first = csv.lines().nth(1).expect("a row");
    assert_eq!(first, "2024-11-20,,,,,,,,,", "{csv}");
    let (_, table, _) = vrm(
        &server,
        &dir,
        &["report", "1", "--from", "2024-11-20", "--to", "2024-11-23"],
    );
    assert!(
        table.contains("1 of 3 days have no data at VRM (shown blank, not 0)"),
        "{table}"
    );
    assert!(
        table.contains("2024-11-20 |                                        | no data"),
        "{table}"
    );
}

#[test]
fn a_bare_date_is_the_sites_local_midnight() {
    let server = server(Site {
        tz: "America/Phoenix",
        data_from: 0,
        hours_only: false,
    });
    let dir = TempDir::new("report-dates");
    let v = json_report(&server, &dir, "2024-11-20", "2024-11-21");
    let days = v["data"]["days"].as_array().expect("days");
    assert_eq!(days.len(), 1, "{v}");
    assert_eq!(days[0]["date"], "2024-11-20");
    // Midnight at −07:00 is 07:00 UTC.
    assert_eq!(days[0]["start"], 1_732_086_000);
}

#[test]
fn the_chart_has_a_bar_per_day_of_its_height_and_the_page_needs_no_network() {
    let d1 = 1_732_060_800 + 24 * HOUR;
    let server = server(Site {
        tz: "UTC",
        data_from: d1,
        hours_only: false,
    });
    let dir = TempDir::new("report-html");
    let (svg_path, html_path) = (dir.join("chart.svg"), dir.join("report.html"));
    let (code, _, stderr) = vrm(
        &server,
        &dir,
        &[
            "report",
            "1",
            "--from",
            "2024-11-20",
            "--to",
            "2024-11-24",
            "--svg",
            svg_path.to_str().unwrap(),
            "--html",
            html_path.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let svg = std::fs::read_to_string(&svg_path).expect("svg written");
    let doc = roxmltree::Document::parse(&svg).expect("the SVG parses");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    let scale: f64 = root.attribute("data-px-per-kwh").unwrap().parse().unwrap();
    let groups: Vec<_> = doc
        .descendants()
        .filter(|n| {
            n.attribute("class")
                .is_some_and(|c| c.split(' ').any(|x| x == "day"))
        })
        .collect();
    assert_eq!(groups.len(), 4, "a group per day");
    let missing: Vec<_> = groups
        .iter()
        .filter(|g| g.attribute("class") == Some("day missing"))
        .collect();
    assert_eq!(missing.len(), 1, "the day without data");
    let mut day_start = d1;
    for group in groups
        .iter()
        .filter(|g| g.attribute("class") == Some("day"))
    {
        let expected = exact(day_start, day_start + 24 * HOUR);
        let used: f64 = group
            .children()
            .filter(|n| n.attribute("data-bar") == Some("use"))
            .map(|n| n.attribute("height").unwrap().parse::<f64>().unwrap())
            .sum();
        assert!(
            (used - expected["consumption"] * scale).abs() < 0.01,
            "{:?}: {used} px for {} kWh",
            group.attribute("data-date"),
            expected["consumption"]
        );
        day_start += 24 * HOUR;
    }
    let html = std::fs::read_to_string(&html_path).expect("html written");
    assert!(html.starts_with("<!doctype html>"));
    for needle in [
        "Roof &lt;&amp;&gt; test",
        "UTC",
        "2024-11-20 to 2024-11-23",
        "<svg",
        "<table>",
    ] {
        assert!(html.contains(needle), "{needle} in the page");
    }
    for external in ["src=", "href=", "http://", "https://", "@import", "url("] {
        let outside_svg_ns = html.replace("http://www.w3.org/2000/svg", "");
        assert!(
            !outside_svg_ns.contains(external),
            "the page fetches nothing: {external}"
        );
    }
    if let Some(chromium) = std::env::var_os("VRM_TEST_CHROMIUM") {
        screenshot_is_not_blank(&chromium, &html_path, &dir);
    } else if std::env::var_os("CI").is_some_and(|v| v == "true") {
        panic!("CI must render the page: .ci/run sets VRM_TEST_CHROMIUM");
    } else {
        eprintln!("skipped: rendering in Chromium (set VRM_TEST_CHROMIUM to its path; CI does)");
    }
}

/// Render `page` in headless Chromium and check the screenshot holds a
/// chart: many colours, and a good part of it not white.
fn screenshot_is_not_blank(chromium: &std::ffi::OsStr, page: &std::path::Path, dir: &TempDir) {
    let png = dir.join("shot.png");
    let status = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1100,900",
        ])
        .arg(format!(
            "--user-data-dir={}",
            dir.join("chromium").display()
        ))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(
        png.exists(),
        "no screenshot: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tools/png_colours.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(&png)
        .output()
        .expect("python3 runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut fields = text.split_whitespace();
    let colours: usize = fields.next().and_then(|v| v.parse().ok()).unwrap_or(0);
    let inked: f64 = fields.next().and_then(|v| v.parse().ok()).unwrap_or(0.0);
    eprintln!(
        "chromium screenshot: {colours} colours, {:.1}% not white",
        inked * 100.0
    );
    assert!(
        colours >= 8 && inked > 0.02,
        "a blank page? {text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
