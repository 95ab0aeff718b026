//! The `vrm` commands of the data family against a mock VRM: every stats
//! type and 2hours, overall types, forecast (default window, fetched-at,
//! cached), attributes, widgets by spec name, graph options, downloads in
//! the new formats, admin.

#![cfg(feature = "cli")]

mod common;

use std::process::Command;

use common::{TOKEN, TempDir, fixture, token_header};
use mockito::{Matcher, Mock, ServerGuard};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_vrm");
const SITE: &str = "151734";
/// 2026-11-01T00:00:00Z and a day on.
const FROM: i64 = 1_793_491_200;
const TO: i64 = FROM + 86_400;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    #[track_caller]
    fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    fn json(&self) -> Value {
        assert!(self.stdout.starts_with("{\"source\":"), "{}", self.stdout);
        serde_json::from_str(&self.stdout).expect("one JSON object")
    }
}

struct Env {
    server: ServerGuard,
    dir: TempDir,
}

impl Env {
    fn new(tag: &str) -> Env {
        let mut server = common::server();
        server
            .mock("GET", "/users/me")
            .with_body(fixture("users_me.json"))
            .expect_at_most(1)
            .create();
        Env {
            server,
            dir: TempDir::new(&format!("cli-data-{tag}")),
        }
    }

    fn run(&self, args: &[&str]) -> Run {
        let mut cmd = Command::new(BIN);
        cmd.env_clear()
            .env("HOME", &self.dir.0)
            .env("XDG_CACHE_HOME", self.dir.join("xdg"))
            .env("VRM_TOKEN", TOKEN)
            .current_dir(&self.dir.0)
            .arg("--base-url")
            .arg(self.server.url())
            .arg("--cache")
            .arg(self.dir.join("c.sqlite"))
            .args(args);
        let out = cmd.output().expect("vrm runs");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// `GET path` with exactly `query`, answering `body`, expected `n` times.
    fn get(&mut self, path: &str, query: &str, body: &str, n: usize) -> Mock {
        self.server
            .mock("GET", path)
            .match_query(Matcher::Exact(query.to_owned()))
            .match_header("x-authorization", token_header().as_str())
            .with_body(body)
            .expect(n)
            .create()
    }
}

fn window() -> [String; 4] {
    [
        "--from".into(),
        FROM.to_string(),
        "--to".into(),
        TO.to_string(),
    ]
}

fn args<'a>(head: &[&'a str], tail: &'a [String]) -> Vec<&'a str> {
    head.iter()
        .copied()
        .chain(tail.iter().map(String::as_str))
        .collect()
}

#[test]
fn stats_every_type_and_2hours() {
    let mut env = Env::new("stats");
    let w = window();
    for name in [
        "venus",
        "live_feed",
        "consumption",
        "solar_yield",
        "generator",
        "generator-runtime",
    ] {
        let body = json!({"success": true,
            "records": {"bs": [[FROM * 1000, "55.5"], [(FROM + 7200) * 1000, 56]]},
            "totals": {"bs": 55.75}})
        .to_string();
        let mock = env.get(
            "/installations/151734/stats",
            &format!("type={name}&interval=2hours&start={FROM}&end={TO}"),
            &body,
            1,
        );
        let run = env
            .run(&args(
                &[
                    "stats",
                    SITE,
                    "--type",
                    name,
                    "--interval",
                    "2hours",
                    "--format",
                    "json",
                ],
                &w,
            ))
            .ok();
        let v = run.json();
        assert_eq!(v["data"]["type"], Value::from(name));
        assert_eq!(v["data"]["interval"], Value::from("2hours"));
        assert_eq!(v["data"]["totals"]["bs"], json!(55.75));
        assert!(v["data"]["totals"].get("kwh").is_none(), "{name}");
        // Again: from the cache, no request.
        let again = env
            .run(&args(
                &[
                    "stats",
                    SITE,
                    "--type",
                    name,
                    "--interval",
                    "2hours",
                    "--format",
                    "json",
                ],
                &w,
            ))
            .ok()
            .json();
        assert_eq!(again["requests"], json!(0), "{name}");
        mock.assert();
    }
    // --codes only with custom.
    let run = env.run(&args(
        &["stats", SITE, "--type", "venus", "--codes", "bs"],
        &w,
    ));
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--type venus"), "{}", run.stderr);
}

#[test]
fn stats_type_forecast_and_vrm_forecast() {
    let mut env = Env::new("forecast");
    let w = window();
    let body = json!({"success": true,
        "records": {"solar_yield_forecast": [[FROM * 1000, 812.5]]},
        "totals": {"solar_yield_forecast": 812.5}})
    .to_string();
    let mock = env.get(
        "/installations/151734/stats",
        &format!("type=forecast&interval=hours&start={FROM}&end={TO}"),
        &body,
        1,
    );
    let table = env
        .run(&args(&["stats", SITE, "--type", "forecast"], &w))
        .ok();
    assert!(
        table.stdout.contains("solar_yield_forecast"),
        "{}",
        table.stdout
    );
    assert!(
        table.stdout.contains("forecast fetched at 20"),
        "{}",
        table.stdout
    );
    let v = env
        .run(&args(&["forecast", SITE, "--format", "json"], &w))
        .ok()
        .json();
    assert_eq!(v["source"], json!("cache"));
    assert_eq!(v["data"]["type"], json!("forecast"));
    assert!(v["data"]["fetched_at"].as_i64().is_some());
    mock.assert();

    // The default window: now (floored to the hour) to 48 hours on.
    let ahead = env
        .server
        .mock("GET", "/installations/151734/stats")
        .match_query(Matcher::Regex(
            r"^type=forecast&interval=hours&start=\d+&end=\d+$".into(),
        ))
        .with_body_from_request(|req| {
            let q = req.path_and_query();
            let num = |k: &str| -> i64 {
                common::query_param(q, k)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0)
            };
            let (start, end) = (num("start"), num("end"));
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            assert!(start <= now && now - start < 3600, "start {start}");
            assert!(
                end - start == 48 * 3600 || end - start == 49 * 3600,
                "{start}..{end}"
            );
            format!(
                r#"{{"success":true,"records":{{"fc":[[{}, 1]]}},"totals":{{"fc":1}}}}"#,
                start * 1000
            )
            .into_bytes()
        })
        .expect(1)
        .create();
    let run = env.run(&["forecast", SITE]).ok();
    assert!(run.stdout.contains("forecast fetched at"), "{}", run.stdout);
    let csv = env.run(&["forecast", SITE, "--format", "csv"]).ok();
    assert!(
        csv.stdout.starts_with("time,code,instance,value,min,max\n"),
        "{}",
        csv.stdout
    );
    ahead.assert();

    // +6h..+12h.
    let later = env
        .server
        .mock("GET", "/installations/151734/stats")
        .match_query(Matcher::Regex(r"^type=forecast&interval=2hours&".into()))
        .with_body(r#"{"success":true,"records":[],"totals":[]}"#)
        .expect(1)
        .create();
    env.run(&[
        "forecast",
        SITE,
        "--from",
        "+6h",
        "--to",
        "+12h",
        "--interval",
        "2hours",
    ])
    .ok();
    later.assert();
    let bad = env.run(&["forecast", SITE, "--from", "+x"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
}

#[test]
fn overall_types() {
    let mut env = Env::new("overall");
    let mock = env.get(
        "/installations/151734/overallstats",
        "type=generator-runtime",
        r#"{"success":true,"records":{"today":{"totals":{"gr":"2.5"},"percentages":{"gr":100}}}}"#,
        1,
    );
    let v = env
        .run(&[
            "overall",
            SITE,
            "--type",
            "generator-runtime",
            "--format",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(v["data"]["today"]["totals"]["gr"], json!(2.5));
    mock.assert();
    let run = env.run(&["overall", SITE, "--type", "forecast"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("forecast"), "{}", run.stderr);
}

#[test]
fn widget_by_doc_name_and_graph_options() {
    let mut env = Env::new("widgets");
    let w = window();
    let hours = env.get(
        "/installations/151734/widgets/HoursOfAc",
        "instance=0",
        r#"{"success":true,"records":{"data":"12.5"}}"#,
        1,
    );
    let run = env
        .run(&["widget", SITE, "HoursOfAC", "--instance", "0"])
        .ok();
    assert!(run.stdout.contains("12.5"), "{}", run.stdout);
    hours.assert();

    let dc = env.get(
        "/installations/151734/widgets/TempAirQuality",
        "",
        r#"{"success":true,"records":{"data":{"hasOldData":false}}}"#,
        1,
    );
    env.run(&["widget", SITE, "tempairquality"]).ok();
    dc.assert();

    let graph = env.get(
        "/installations/151734/widgets/Graph",
        &format!(
            "attributeIds%5B%5D=81&start={FROM}&end={TO}&width=400&pointsPerPixel=0.5&useMinMax=1"
        ),
        &fixture("widget_graph_bs_bv.json"),
        1,
    );
    env.run(&args(
        &[
            "graph",
            SITE,
            "--ids",
            "81",
            "--width",
            "400",
            "--points-per-pixel",
            "0.5",
            "--min-max",
        ],
        &w,
    ))
    .ok();
    graph.assert();
}

#[test]
fn download_new_formats_raw_and_by_email() {
    let mut env = Env::new("download");
    let w = window();
    let xlsx: &[u8] = b"PK\x03\x04rest";
    let file = env
        .server
        .mock("GET", "/installations/151734/data-download")
        .match_query(Matcher::Exact(format!(
            "start={FROM}&end={TO}&format=xlsx&datatype=benchmark"
        )))
        .with_body(xlsx)
        .expect(1)
        .create();
    let out = env.dir.join("b.xlsx");
    let out_text = out.display().to_string();
    env.run(&args(
        &[
            "download",
            SITE,
            "--format",
            "xlsx",
            "--datatype",
            "benchmark",
            "-o",
            &out_text,
        ],
        &w,
    ))
    .ok();
    assert_eq!(std::fs::read(&out).unwrap(), xlsx);
    file.assert();

    let mail = env.get(
        "/installations/151734/data-download",
        &format!("start={FROM}&end={TO}&format=csv&datatype=kwh&async=1"),
        r#"{"success":true}"#,
        1,
    );
    let run = env
        .run(&args(
            &["download", SITE, "--datatype", "kwh", "--email"],
            &w,
        ))
        .ok();
    assert!(run.stdout.contains("yes"), "{}", run.stdout);
    mail.assert();
}

#[test]
fn attributes_catalogue_and_search() {
    let mut env = Env::new("attributes");
    let catalogue = env.get(
        "/data-attributes",
        "",
        r#"{"51":{"code":"bs","dataType":"float","description":"Battery SOC","formatWithUnit":"%.1F %%"},
            "81":{"code":"V","dataType":"float","description":"Voltage","formatWithUnit":"%.2F V"}}"#,
        1,
    );
    let run = env.run(&["attributes", "battery"]).ok();
    assert!(run.stdout.contains("Battery SOC"), "{}", run.stdout);
    assert!(!run.stdout.contains("Voltage"), "{}", run.stdout);
    let v = env.run(&["attributes", "--format", "json"]).ok().json();
    assert_eq!(v["source"], json!("cache"));
    assert_eq!(v["data"].as_array().map(Vec::len), Some(2));
    catalogue.assert();

    let search = env.get(
        "/installation-data-attributes",
        "query=bs%3E%3D50&count=10",
        r#"{"success":true,"num_records":1,"records":[{"idSite":151734,"description":"Boat","lastTimestamp":1795600000,"value_bs":"55.5"}],
            "attributes":[{"idDataAttribute":51,"code":"bs","dataType":"float"}]}"#,
        1,
    );
    let run = env
        .run(&[
            "attributes",
            "--query",
            "bs>=50",
            "--count",
            "10",
            "--format",
            "csv",
        ])
        .ok();
    assert_eq!(
        run.stdout.lines().next(),
        Some("site,name,last,bs"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("151734,Boat,"), "{}", run.stdout);
    search.assert();
}

#[test]
fn admin_commands() {
    let mut env = Env::new("admin");
    let devices = env.get(
        "/admin/devices",
        "page=2",
        r#"{"success":true,"records":[{"idSite":5,"productName":"Cerbo GX"}]}"#,
        1,
    );
    let run = env.run(&["admin", "devices", "--query", "page=2"]).ok();
    assert!(run.stdout.contains("Cerbo GX"), "{}", run.stdout);
    devices.assert();

    let denied = env
        .server
        .mock("GET", "/firmwares")
        .with_status(403)
        .with_body(r#"{"success":false,"errors":"Forbidden","error_code":"forbidden"}"#)
        .expect(1)
        .create();
    let run = env.run(&["admin", "firmwares"]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("403"), "{}", run.stderr);
    denied.assert();

    let add = env
        .server
        .mock("POST", "/systems/add-system")
        .match_body(Matcher::Json(
            json!({"installationIdentifier": "c0619ab1a2b3"}),
        ))
        .with_body(r#"{"success":true,"records":{"idSite":987}}"#)
        .expect(1)
        .create();
    let v = env
        .run(&[
            "admin",
            "add-system",
            "--body",
            r#"{"installationIdentifier":"c0619ab1a2b3"}"#,
            "--format",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(v["data"]["records"]["idSite"], json!(987));
    add.assert();
}

#[test]
fn overview_download_rows_and_file() {
    let mut env = Env::new("overview");
    let rows = env
        .server
        .mock("POST", "/installation-overview-download")
        .match_body(Matcher::Json(json!({
            "columns": {"name": {"header": "Installation name", "enabled": true},
                        "soc": {"header": "Battery %", "enabled": true}},
            "siteIds": [151734, 22], "onlyVisible": false, "jsonResponse": true})))
        .with_body(r#"{"success":true,"data":{"151734":{"Installation name":"Boat","Battery %":"100.0 %"},"22":{"Installation name":"Demo"}}}"#)
        .expect(1)
        .create();
    let run = env
        .run(&[
            "overview-download",
            "--sites",
            "151734,22",
            "--column",
            "name=Installation name",
            "--column",
            "soc=Battery %",
            "--format",
            "csv",
        ])
        .ok();
    assert_eq!(
        run.stdout,
        "site,Battery %,Installation name\n151734,100.0 %,Boat\n22,,Demo\n"
    );
    rows.assert();

    let xlsx: &[u8] = b"PK\x03\x04zip";
    let file = env
        .server
        .mock("POST", "/installation-overview-download")
        .match_body(Matcher::PartialJson(
            json!({"jsonResponse": false, "onlyVisible": true}),
        ))
        .with_body(xlsx)
        .expect(1)
        .create();
    let out = env.dir.join("o.xlsx");
    let out_text = out.display().to_string();
    env.run(&[
        "overview-download",
        "--sites",
        "22",
        "--column",
        "name=Installation name",
        "--only-visible",
        "-o",
        &out_text,
    ])
    .ok();
    assert_eq!(std::fs::read(&out).unwrap(), xlsx);
    file.assert();
}
