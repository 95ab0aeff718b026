//! The `vrm` program itself: the built binary run against a mock VRM on
//! loopback, with a cache file in a temp folder (never the user's own).
//!
//! Every run clears the child's environment (no `VRM_*` from the caller,
//! `HOME` and `XDG_CACHE_HOME` inside the test's folder), passes `--cache`
//! or `--no-cache`, and points `--base-url` (or `VRM_API_URL`) at the mock.
//! Catch-all mocks (`expect(0)`) prove that bad input costs no request and
//! that a cached answer costs none either.

#![cfg(feature = "cli")]

mod common;

use std::net::TcpListener;
use std::process::Command;

use common::{TOKEN, TempDir, fixture, point_value, query_param, stats_body, token_header};
use mockito::{Matcher, Mock, ServerGuard};
use serde_json::{Value, json};

/// The binary under test.
const BIN: &str = env!("CARGO_BIN_EXE_vrm");

/// The first installation of `installations.json` (Africa/Casablanca, UTC+1 in November).
const SITE: &str = "151734";

/// 2026-11-01T00:00:00Z.
const NOV_1: i64 = 1_793_491_200;
const HOUR: i64 = 3600;
const DAY: i64 = 86_400;

/// The demo login answer (user 22), as VRM sends it.
const DEMO_LOGIN: &str = r#"{"token":"demo-session-token-9c2e","idUser":22,"verification_mode":"password","verification_sent":false}"#;

// ---- running the binary --------------------------------------------------------

/// One finished run of `vrm`.
#[derive(Debug)]
struct Run {
    args: String,
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Assert exit code `code`; the run itself.
    #[track_caller]
    fn code(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "vrm {}: exit {} (expected {code})\nstdout:\n{}\nstderr:\n{}",
            self.args, self.code, self.stdout, self.stderr
        );
        self
    }

    /// Assert success.
    #[track_caller]
    fn ok(self) -> Run {
        self.code(0)
    }

    /// Stdout as exactly one JSON object `{"source", "requests", "data"}`
    /// (keys in that order), on one line.
    #[track_caller]
    fn json(&self) -> Value {
        let text = &self.stdout;
        assert!(
            text.starts_with("{\"source\":") && text.ends_with("}\n") && text.lines().count() == 1,
            "vrm {}: not one JSON line:\n{text}",
            self.args
        );
        let values: Vec<Value> = serde_json::Deserializer::from_str(text)
            .into_iter::<Value>()
            .collect::<Result<_, _>>()
            .unwrap_or_else(|e| panic!("vrm {}: bad JSON ({e}):\n{text}", self.args));
        assert_eq!(values.len(), 1, "vrm {}: {text}", self.args);
        let value = values.into_iter().next().unwrap_or_default();
        let mut keys: Vec<&str> = value
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        keys.sort_unstable();
        assert_eq!(keys, ["data", "requests", "source"], "{text}");
        let requests_at = text.find("\"requests\":").unwrap_or(usize::MAX);
        let data_at = text.find("\"data\":").unwrap_or(0);
        assert!(requests_at < data_at, "key order: {text}");
        value
    }

    /// The error line of a failure: the last line of stderr; any before it
    /// are warnings (retries).
    #[track_caller]
    fn error_line(&self) -> &str {
        let lines: Vec<&str> = self.stderr.lines().collect();
        let (last, before) = lines.split_last().expect("an error on stderr");
        for line in before {
            assert!(line.starts_with("vrm: warn: "), "vrm {}: {line}", self.args);
        }
        assert!(last.starts_with("vrm: "), "vrm {}: {last}", self.args);
        assert!(
            self.stdout.is_empty(),
            "stdout of a failure: {}",
            self.stdout
        );
        last
    }

    /// The single line of stderr (bad input, failures).
    #[track_caller]
    fn one_line_error(&self) -> &str {
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(
            lines.len(),
            1,
            "vrm {}: expected one line on stderr, got:\n{}",
            self.args,
            self.stderr
        );
        assert!(
            lines[0].starts_with("vrm: "),
            "vrm {}: {}",
            self.args,
            lines[0]
        );
        assert!(
            self.stdout.is_empty(),
            "stdout of a failure: {}",
            self.stdout
        );
        lines[0]
    }
}

/// `vrm` with an empty environment but for a `HOME` and cache folder inside
/// `dir`, so nothing can reach the real cache or the caller's credentials.
fn bare(dir: &TempDir) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("HOME", &dir.0)
        .env("XDG_CACHE_HOME", dir.join("xdg-cache"))
        .current_dir(&dir.0);
    cmd
}

/// Run `cmd` to the end.
fn run(cmd: &mut Command) -> Run {
    let args = cmd
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    let out = cmd.output().expect("vrm runs");
    Run {
        args,
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
    }
}

/// A mock VRM and a folder for one test's cache.
struct Env {
    server: ServerGuard,
    dir: TempDir,
}

impl Env {
    fn new(tag: &str) -> Env {
        Env {
            server: common::server(),
            dir: TempDir::new(&format!("cli-{tag}")),
        }
    }

    fn cache(&self) -> std::path::PathBuf {
        self.dir.join("c.sqlite")
    }

    /// `vrm --base-url <mock> --cache <dir>/c.sqlite` with `VRM_TOKEN`.
    fn cmd(&self) -> Command {
        let mut cmd = bare(&self.dir);
        cmd.env("VRM_TOKEN", TOKEN)
            .arg("--base-url")
            .arg(self.server.url())
            .arg("--cache")
            .arg(self.cache());
        cmd
    }

    fn run(&self, args: &[&str]) -> Run {
        run(self.cmd().args(args))
    }

    /// `args` then `--format <format>`, for each format.
    fn formats(&self, args: &[&str]) -> [Run; 3] {
        ["table", "csv", "json"].map(|f| {
            let mut all = args.to_vec();
            all.extend(["--format", f]);
            self.run(&all).ok()
        })
    }

    /// Mocks for any request on any path, to be created before the real
    /// ones, that must never be hit: unexpected requests land here.
    fn catch_all(&mut self) -> Vec<Mock> {
        ["GET", "POST", "PUT", "DELETE", "PATCH"]
            .iter()
            .map(|method| {
                // A 4xx, so that the client does not retry; the error
                // names the request that came unexpectedly.
                self.server
                    .mock(method, Matcher::Any)
                    .with_status(418)
                    .with_body_from_request(|req| {
                        json!({
                            "success": false,
                            "errors": format!("unexpected {} {}", req.method(), req.path_and_query()),
                        })
                        .to_string()
                        .into_bytes()
                    })
                    .expect(0)
                    .create()
            })
            .collect()
    }

    /// `GET /users/me` for user 22 with the test token, expected `n` times
    /// (once per cache: the cache remembers the token's account).
    fn me(&mut self, n: usize) -> Mock {
        self.me_mock().expect(n).create()
    }

    /// `GET /users/me` as `vrm me` uses it: with an empty cache the answer
    /// that names the cache's account is kept and serves `me` too, so one
    /// request in all.
    fn me_for_me(&mut self) -> Mock {
        self.me_mock().expect(1).create()
    }

    fn me_mock(&mut self) -> Mock {
        self.server
            .mock("GET", "/users/me")
            .match_header("x-authorization", token_header().as_str())
            .with_body(fixture("users_me.json"))
    }

    /// `GET path` (no query) answering `body`, at least once.
    fn get(&mut self, path: &str, body: &str) -> Mock {
        self.server
            .mock("GET", path)
            .match_header("x-authorization", token_header().as_str())
            .with_body(body)
            .expect_at_least(1)
            .create()
    }

    /// Stats of the site, generated for whatever window is asked, `n` times.
    fn stats(&mut self, n: usize) -> Mock {
        stats_mock(&mut self.server, Matcher::Any)
            .expect(n)
            .create()
    }
}

/// Stats of site 151734 like VRM's, for any window and interval, when the
/// query matches `query`.
fn stats_mock(server: &mut ServerGuard, query: Matcher) -> Mock {
    site_stats_mock(server, SITE, query)
}

/// Stats of `site` like VRM's, for any window and interval, when the query
/// matches `query`.
fn site_stats_mock(server: &mut ServerGuard, site: &str, query: Matcher) -> Mock {
    server
        .mock("GET", format!("/installations/{site}/stats").as_str())
        .match_query(query)
        .with_body_from_request(|req| stats_body(req.path_and_query(), step_of(req)))
}

/// The bucket length of a stats request's `interval`.
fn step_of(req: &mockito::Request) -> i64 {
    match query_param(req.path_and_query(), "interval").as_deref() {
        Some("15mins") => 900,
        Some("days") => DAY,
        _ => HOUR,
    }
}

fn assert_all(mocks: &[Mock]) {
    for m in mocks {
        m.assert();
    }
}

// ---- reading the outputs ---------------------------------------------------------

/// The cells of an aligned table line (cells are separated by 2+ spaces).
fn cells(line: &str) -> Vec<&str> {
    line.split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect()
}

/// The first `1 + rows` lines of a table: the header is `header`, the
/// columns line up (each gap between columns is blank on every line), and
/// every row of `expected` is one of the lines. Returns the rows' cells.
#[track_caller]
fn assert_table<'a>(
    stdout: &'a str,
    header: &[&str],
    rows: usize,
    expected: &[&[&str]],
) -> Vec<Vec<&'a str>> {
    let lines: Vec<&str> = stdout.lines().take(1 + rows).collect();
    assert_eq!(lines.len(), 1 + rows, "table too short:\n{stdout}");
    assert_eq!(cells(lines[0]), header, "header of:\n{stdout}");
    // Columns: runs of 2+ positions blank on every line, between content.
    let width = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let blank: Vec<bool> = (0..width)
        .map(|i| {
            lines
                .iter()
                .all(|l| l.chars().nth(i).is_none_or(|c| c == ' '))
        })
        .collect();
    let mut gaps = 0;
    let mut run = 0;
    for (i, b) in blank.iter().enumerate() {
        if *b {
            run += 1;
        } else {
            if run >= 2 && i > run {
                gaps += 1;
            }
            run = 0;
        }
    }
    assert_eq!(
        gaps,
        header.len() - 1,
        "columns do not line up ({gaps} gaps for {} columns):\n{}",
        header.len(),
        lines.join("\n")
    );
    let table: Vec<Vec<&str>> = lines[1..].iter().map(|l| cells(l)).collect();
    for row in expected {
        assert!(
            table.iter().any(|r| r == row),
            "no row {row:?} in:\n{stdout}"
        );
    }
    table
}

/// CSV records (quoted fields supported); asserts the header.
#[track_caller]
fn csv(stdout: &str, header: &[&str]) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = stdout.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => record.push(std::mem::take(&mut field)),
            '\n' if !quoted => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            c => field.push(c),
        }
    }
    assert!(
        field.is_empty() && record.is_empty(),
        "CSV without a final newline"
    );
    assert!(!records.is_empty(), "empty CSV");
    assert_eq!(records[0], header, "CSV header of:\n{stdout}");
    for r in &records {
        assert_eq!(r.len(), header.len(), "ragged CSV row {r:?}");
    }
    records.split_off(1)
}

/// A number as the tables show it: up to 3 decimals, trailing zeros dropped.
fn num(v: f64) -> String {
    let text = format!("{v:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// RFC 3339 (UTC) of unix seconds, as the tables show times.
fn rfc3339(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// JSON equality with numbers compared as f64 (1 and 1.0 are equal).
#[track_caller]
fn assert_json(actual: &Value, expected: &Value) {
    fn same(a: &Value, b: &Value) -> bool {
        match (a, b) {
            (Value::Number(x), Value::Number(y)) => {
                (x.as_f64().unwrap_or(f64::NAN) - y.as_f64().unwrap_or(f64::NAN)).abs() < 1e-9
            }
            (Value::Array(x), Value::Array(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
            }
            (Value::Object(x), Value::Object(y)) => {
                x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
            }
            _ => a == b,
        }
    }
    assert!(
        same(actual, expected),
        "JSON differs:\nactual:   {actual}\nexpected: {expected}"
    );
}

/// `[[t, v], …]` of `code` for the hours of `[start, end)`, and their sum.
fn hourly(code: &str, start: i64, end: i64, scale: f64) -> (Value, f64) {
    let points: Vec<(i64, f64)> = (start..end)
        .step_by(HOUR as usize)
        .map(|t| (t, point_value(code, t) * scale))
        .collect();
    let sum = points.iter().map(|p| p.1).sum();
    (
        Value::Array(points.iter().map(|(t, v)| json!([t, v])).collect()),
        sum,
    )
}

/// A port on loopback that nothing listens on.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    port
}

// The stats window of most tests: 00:30 to 05:10 on 1 November, which
// rounds to 00:00 .. 06:00 (start floored, end ceiled to the hour).
const FROM: &str = "2026-11-01T00:30:00Z";
const TO: &str = "2026-11-01T05:10:00Z";
const START: i64 = NOV_1;
const END: i64 = NOV_1 + 6 * HOUR;

// ---- 1. every command in every format ---------------------------------------------

#[test]
fn me_in_every_format() {
    let mut env = Env::new("me");
    let all = env.catch_all();
    let me = env.me_for_me();
    let [table, csv_run, json_run] = env.formats(&["me"]);
    assert_table(
        &table.stdout,
        &["field", "value"],
        5,
        &[
            &["id", "22"],
            &["name", "demo demo"],
            &["email", "demo@victronenergy.com"],
            &["country", "The Netherlands"],
            &["access level", "0"],
        ],
    );
    let rows = csv(&csv_run.stdout, &["field", "value"]);
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[0], ["id", "22"]);
    let v = json_run.json();
    assert_eq!(v["data"]["id"], 22);
    assert_eq!(v["data"]["name"], "demo demo");
    assert_eq!(v["source"], "cache", "third run of `me` with one cache");
    assert_eq!(v["requests"], 0);
    me.assert();
    assert_all(&all);
}

#[test]
fn installations_and_extended_in_every_format() {
    let mut env = Env::new("installations");
    let all = env.catch_all();
    env.me(1);
    let list = env.get("/users/22/installations", &fixture("installations.json"));
    let extended = env
        .server
        .mock("GET", "/users/22/installations")
        .match_query(Matcher::Exact("extended=1".into()))
        .match_header("x-authorization", token_header().as_str())
        .with_body(fixture("installations_extended.json"))
        .expect(1)
        .create();

    let [table, csv_run, json_run] = env.formats(&["installations"]);
    assert_table(
        &table.stdout,
        &["id", "name", "identifier", "timezone"],
        7,
        &[
            &["151734", "35ft Yacht", "d41243cd7c66", "Africa/Casablanca"],
            &[
                "928708",
                "Multi-hull / dual-drive",
                "c0619ab3afff",
                "Pacific/Auckland",
            ],
        ],
    );
    let rows = csv(&csv_run.stdout, &["id", "name", "identifier", "timezone"]);
    assert_eq!(rows.len(), 7);
    assert_eq!(
        rows[0],
        ["151734", "35ft Yacht", "d41243cd7c66", "Africa/Casablanca"]
    );
    let v = json_run.json();
    let records = v["data"].as_array().expect("an array of installations");
    assert_eq!(records.len(), 7);
    assert_eq!(records[0]["idSite"], 151734);
    assert_eq!(records[0]["timezone"], "Africa/Casablanca");

    let [table, csv_run, json_run] = env.formats(&["installations", "--extended"]);
    let header = ["id", "name", "identifier", "timezone", "alarm", "last seen"];
    // No identifier in this answer: its cell is empty.
    assert_table(
        &table.stdout,
        &header,
        1,
        &[&[
            "100",
            "Test installation",
            "UTC",
            "no",
            "2016-08-26T13:25:03Z",
        ]],
    );
    let rows = csv(&csv_run.stdout, &header);
    assert_eq!(
        rows,
        [[
            "100",
            "Test installation",
            "",
            "UTC",
            "no",
            "2016-08-26T13:25:03Z"
        ]]
    );
    let v = json_run.json();
    assert_eq!(v["data"][0]["idSite"], 100);
    assert_eq!(v["data"][0]["extended"][0]["code"], "lt");
    list.assert();
    extended.assert();
    assert_all(&all);
}

#[test]
fn overview_in_every_format() {
    let mut env = Env::new("overview");
    let all = env.catch_all();
    env.me(1);
    let overview = env.get(
        "/installations/151734/system-overview",
        &fixture("system_overview.json"),
    );
    let [table, csv_run, json_run] = env.formats(&["overview", SITE]);
    let header = ["name", "product", "instance", "firmware", "last connection"];
    assert_table(
        &table.stdout,
        &header,
        9,
        &[
            &["Gateway", "Cerbo GX", "v3.72", "2026-04-18T12:37:53Z"],
            &[
                "Battery Monitor",
                "SmartShunt 500A",
                "288",
                "v3.11",
                "2026-04-18T12:37:53Z",
            ],
        ],
    );
    let rows = csv(&csv_run.stdout, &header);
    assert_eq!(rows.len(), 9);
    assert_eq!(
        rows[0],
        ["Gateway", "Cerbo GX", "", "v3.72", "2026-04-18T12:37:53Z"]
    );
    // A custom name wins over the device's name; an empty one does not.
    assert!(rows.iter().any(|r| r[0] == "Fresh water tank"), "{rows:?}");
    assert!(rows.iter().all(|r| !r[0].is_empty()), "{rows:?}");
    assert_eq!(rows[1][0], "VE.Bus System");
    let v = json_run.json();
    assert_eq!(v["data"]["devices"].as_array().map(Vec::len), Some(9));
    assert_eq!(v["data"]["devices"][0]["productName"], "Cerbo GX");
    overview.assert();
    assert_all(&all);
}

#[test]
fn diagnostics_in_every_format() {
    let mut env = Env::new("diagnostics");
    let all = env.catch_all();
    env.me(1);
    let diagnostics = env
        .server
        .mock("GET", "/installations/151734/diagnostics")
        .match_query(Matcher::UrlEncoded("count".into(), "1000".into()))
        .match_header("x-authorization", token_header().as_str())
        .with_body(fixture("diagnostics.json"))
        .expect_at_least(1)
        .create();
    let [table, csv_run, json_run] = env.formats(&["diagnostics", SITE]);
    let header = [
        "attribute",
        "code",
        "instance",
        "description",
        "value",
        "time",
    ];
    assert_table(
        &table.stdout,
        &header,
        3,
        &[&[
            "143",
            "bv",
            "0",
            "Voltage",
            "13.38 V",
            "2017-06-10T00:54:06Z",
        ]],
    );
    let rows = csv(&csv_run.stdout, &header);
    assert_eq!(rows.len(), 3);
    assert_eq!(
        rows[0],
        ["1", "d", "0", "gatewayID", "Venus", "2017-06-10T00:54:06Z"]
    );
    let v = json_run.json();
    assert_eq!(v["data"].as_array().map(Vec::len), Some(3));
    assert_eq!(v["data"][1]["code"], "bv");
    diagnostics.assert();
    assert_all(&all);
}

#[test]
fn stats_kwh_in_every_format() {
    let mut env = Env::new("stats-kwh");
    let all = env.catch_all();
    env.me(1);
    let stats = env.stats(1);
    let args = ["stats", SITE, "--from", FROM, "--to", TO];

    let json_run = env.run(&[&args[..], &["--format", "json"]].concat()).ok();
    let v = json_run.json();
    assert_eq!(v["source"], "network");
    assert_eq!(
        v["requests"], 2,
        "users/me once (for the cache), then the stats"
    );
    let mut series = serde_json::Map::new();
    let mut totals = serde_json::Map::new();
    let mut all_codes = 0.0;
    for code in ["Gc", "Pb", "Pc"] {
        let (points, sum) = hourly(code, START, END, 1.0);
        series.insert(code.into(), points);
        totals.insert(code.into(), json!(sum));
        all_codes += sum;
    }
    totals.insert("kwh".into(), json!(all_codes));
    assert_json(
        &v["data"],
        &json!({
            "site": 151734,
            "type": "kwh",
            "interval": "hours",
            "start": START,
            "end": END,
            "series": series,
            "totals": totals,
        }),
    );

    let table = env.run(&args).ok();
    let header = ["time", "Gc kWh", "Pb kWh", "Pc kWh"];
    let row = |t: i64| -> Vec<String> {
        let mut row = vec![rfc3339(t)];
        row.extend(["Gc", "Pb", "Pc"].map(|c| num(point_value(c, t))));
        row
    };
    let first = row(START);
    let last = row(END - HOUR);
    let total: Vec<String> = std::iter::once("total".to_owned())
        .chain(
            ["Gc", "Pb", "Pc"]
                .iter()
                .map(|c| num(hourly(c, START, END, 1.0).1)),
        )
        .collect();
    fn as_refs(r: &[String]) -> Vec<&str> {
        r.iter().map(String::as_str).collect()
    }
    let rows = assert_table(
        &table.stdout,
        &header,
        7,
        &[&as_refs(&first), &as_refs(&last), &as_refs(&total)],
    );
    assert_eq!(rows[0][0], "2026-11-01T00:00:00Z", "the window is rounded");
    assert!(
        table
            .stdout
            .contains(&format!("all codes: {} kWh", num(all_codes))),
        "{}",
        table.stdout
    );
    assert!(
        table
            .stdout
            .contains("2026-11-01T00:00:00Z .. 2026-11-01T06:00:00Z from cache (0 requests)"),
        "{}",
        table.stdout
    );

    let csv_run = env.run(&[&args[..], &["--format", "csv"]].concat()).ok();
    let rows = csv(
        &csv_run.stdout,
        &["time", "code", "instance", "value", "min", "max"],
    );
    assert_eq!(rows.len(), 3 * 6, "one row per point");
    // Times in CSV as in tables: RFC 3339 (JSON keeps unix seconds).
    assert_eq!(
        rows[0],
        [
            "2026-11-01T00:00:00Z".to_owned(),
            "Gc".into(),
            String::new(),
            point_value("Gc", START).to_string(),
            String::new(),
            String::new()
        ]
    );
    stats.assert();
    assert_all(&all);
}

#[test]
fn stats_custom_with_codes_and_instances_in_every_format() {
    let mut env = Env::new("stats-custom");
    let all = env.catch_all();
    env.me(1);
    let custom = stats_mock(
        &mut env.server,
        Matcher::AllOf(vec![
            Matcher::UrlEncoded("type".into(), "custom".into()),
            Matcher::UrlEncoded("interval".into(), "15mins".into()),
            Matcher::UrlEncoded("show_instance".into(), "1".into()),
            Matcher::Regex("attributeCodes%5B%5D=bs&attributeCodes%5B%5D=bv".into()),
        ]),
    )
    .expect(1)
    .create();
    let args = [
        "stats",
        SITE,
        "--type",
        "custom",
        "--codes",
        "bs,bv",
        "--interval",
        "15mins",
        "--from",
        "2026-11-01T00:00:00Z",
        "--to",
        "2026-11-01T01:00:00Z",
        "--instances",
    ];
    let [table, csv_run, json_run] = env.formats(&args);

    let v = json_run.json();
    let points = |code: &str, scale: f64| {
        Value::Array(
            (0..4)
                .map(|i| {
                    let t = START + i * 900;
                    json!([t, point_value(code, t) * scale])
                })
                .collect(),
        )
    };
    let sum = |code: &str, scale: f64| 4.0 * point_value(code, START) * scale;
    assert_eq!(v["data"]["type"], "custom");
    assert_eq!(v["data"]["interval"], "15mins");
    assert_eq!(v["data"]["start"], START);
    assert_eq!(v["data"]["end"], START + HOUR);
    assert_json(
        &v["data"]["series"],
        &json!({
            "bs": {"0": points("bs", 1.0), "1": points("bs", 0.5)},
            "bv": {"0": points("bv", 1.0), "1": points("bv", 0.5)},
        }),
    );
    assert_json(
        &v["data"]["instance_totals"],
        &json!({
            "bs": {"0": sum("bs", 1.0), "1": sum("bs", 0.5)},
            "bv": {"0": sum("bv", 1.0), "1": sum("bv", 0.5)},
        }),
    );
    assert_json(
        &v["data"]["totals"],
        &json!({"bs": sum("bs", 1.5), "bv": sum("bv", 1.5)}),
    );

    // A column per code and instance, in the order asked, each with the
    // unit the catalogue gives.
    assert_table(
        &table.stdout,
        &["time", "bs#0 %", "bs#1 %", "bv#0 V", "bv#1 V"],
        5,
        &[&[
            "2026-11-01T00:15:00Z",
            &num(point_value("bs", START)),
            &num(point_value("bs", START) / 2.0),
            &num(point_value("bv", START)),
            &num(point_value("bv", START) / 2.0),
        ]],
    );
    assert!(!table.stdout.contains("kWh"), "{}", table.stdout);

    let rows = csv(
        &csv_run.stdout,
        &["time", "code", "instance", "value", "min", "max"],
    );
    assert_eq!(rows.len(), 2 * 2 * 4, "codes x instances x points");
    assert!(rows.iter().any(|r| r[1] == "bv" && r[2] == "1"), "{rows:?}");
    custom.assert();
    assert_all(&all);
}

#[test]
fn overall_in_every_format() {
    let mut env = Env::new("overall");
    let all = env.catch_all();
    env.me(1);
    let overall = env.get(
        "/installations/151734/overallstats",
        &fixture("overallstats.json"),
    );
    let [table, csv_run, json_run] = env.formats(&["overall", SITE]);
    let header = ["period", "code", "total", "percent"];
    let rows = assert_table(
        &table.stdout,
        &header,
        csv(&csv_run.stdout, &header).len(),
        &[
            &["today", "Gc", "5.927", "55"],
            &["year", "Pc", "444.432", "12"],
        ],
    );
    let records = csv(&csv_run.stdout, &header);
    // 4 periods x 4 codes; `"gc": false` is a code without a total.
    assert_eq!(records.len(), 16, "{records:?}");
    assert_eq!(rows.len(), 16);
    assert!(records.contains(&vec![
        "week".to_owned(),
        "gc".into(),
        String::new(),
        "0".into()
    ]));
    let v = json_run.json();
    assert_eq!(v["data"]["today"]["totals"]["Gc"], 5.9271823316813);
    overall.assert();
    assert_all(&all);
}

#[test]
fn graph_in_every_format() {
    let mut env = Env::new("graph");
    let all = env.catch_all();
    env.me(1);
    let graph = env
        .server
        .mock("GET", "/installations/151734/widgets/Graph")
        .match_query(Matcher::Exact(
            "attributeCodes%5B%5D=bs&attributeCodes%5B%5D=bv&instance=0&start=1776510000&end=1776517200"
                .into(),
        ))
        .match_header("x-authorization", token_header().as_str())
        .with_body(fixture("widget_graph_bs_bv.json"))
        .expect_at_least(1)
        .create();
    let args = [
        "graph",
        SITE,
        "--codes",
        "bs,bv",
        "--instance",
        "0",
        "--from",
        "1776512315",
        "--to",
        "1776515855",
    ];
    let [table, csv_run, json_run] = env.formats(&args);
    let header = ["time", "code", "value", "min", "max"];
    assert_table(
        &table.stdout,
        &header,
        120,
        &[
            &["2026-04-18T11:38:35Z", "bs", "99.8"],
            &["2026-04-18T11:38:35Z", "bv", "13.39"],
        ],
    );
    let rows = csv(&csv_run.stdout, &header);
    assert_eq!(rows.len(), 120, "60 points of each code");
    let v = json_run.json();
    assert_eq!(v["data"]["data"]["143"][0][1], 13.39);
    graph.assert();
    assert_all(&all);
}

#[test]
fn widget_by_name_unknown_and_invalid() {
    let mut env = Env::new("widget");
    let all = env.catch_all();
    env.me(1);
    let state = env
        .server
        .mock("GET", "/installations/151734/widgets/VeBusState")
        .match_query(Matcher::Exact("instance=257".into()))
        .with_body(fixture("widget_vebus_state.json"))
        .expect_at_least(1)
        .create();
    // Any case names a documented widget.
    let [table, csv_run, json_run] =
        env.formats(&["widget", SITE, "vebusstate", "--instance", "257"]);
    assert_table(
        &table.stdout,
        &["field", "value"],
        9,
        &[&["40[0][0]", "9"], &["40[2][1]", "1776507200"]],
    );
    let rows = csv(&csv_run.stdout, &["field", "value"]);
    assert_eq!(rows.len(), 9, "{rows:?}");
    assert!(rows.contains(&vec!["40[2][2]".to_owned(), String::new()]));
    let v = json_run.json();
    assert_eq!(v["data"]["data"]["40"][1][0], "3");
    assert_eq!(v["data"]["enums"]["40"]["9"], "Inverting");

    // A name the doc does not list is passed to VRM as is; its 404 is an
    // API error (3).
    let unknown = env
        .server
        .mock("GET", "/installations/151734/widgets/NoSuchWidget")
        .with_status(404)
        .with_body(r#"{"success":false,"errors":"Route not found","error_code":"not_found"}"#)
        .expect(1)
        .create();
    let run = env.run(&["widget", SITE, "NoSuchWidget"]).code(3);
    let line = run.one_line_error();
    assert!(line.contains("404"), "{line}");
    // A name that cannot be a widget is refused before any request.
    let run = env.run(&["widget", SITE, "no such widget"]).code(2);
    let line = run.one_line_error();
    assert!(
        line.contains("\"no such widget\"") && line.contains("letters, digits"),
        "{line}"
    );
    state.assert();
    unknown.assert();
    assert_all(&all);
}

#[test]
fn download_writes_the_decoded_file() {
    let mut env = Env::new("download");
    let all = env.catch_all();
    env.me(1);
    let download = env
        .server
        .mock("GET", "/installations/151734/data-download")
        .match_query(Matcher::Exact(format!(
            "start={START}&end={}&format=csv&datatype=kwh",
            START + DAY
        )))
        .with_body(fixture("data_download.json"))
        .expect(1)
        .create();
    let file = env.dir.join("export.csv");
    let file_text = file.display().to_string();
    let args = [
        "download",
        SITE,
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-02",
        "--datatype",
        "kwh",
        "-o",
        &file_text,
    ];
    let decoded = b"timestamp,bv\n1441066216,13.38\n";
    let table = env.run(&args).ok();
    assert_eq!(std::fs::read(&file).unwrap(), decoded);
    assert_table(
        &table.stdout,
        &["file", "bytes"],
        1,
        &[&[&file_text, &decoded.len().to_string()]],
    );
    std::fs::remove_file(&file).unwrap();
    // `--format` after `download` is the file's format: the output format
    // goes before the command.
    let csv_run = env
        .run(&[&["--format", "csv"][..], &args[..]].concat())
        .ok();
    assert_eq!(
        csv(&csv_run.stdout, &["file", "bytes"]),
        [[file_text.clone(), decoded.len().to_string()]]
    );
    let json_run = env
        .run(&[&["--format", "json"][..], &args[..]].concat())
        .ok();
    let v = json_run.json();
    assert_eq!(v["source"], "cache");
    assert_eq!(
        v["data"],
        json!({"file": file_text, "bytes": decoded.len(), "pieces": 1})
    );
    assert_eq!(
        std::fs::read(&file).unwrap(),
        decoded,
        "written from the cache"
    );
    // A file format it does not know: refused before any request.
    let run = env
        .run(&[
            "download", SITE, "--from", "-1d", "--to", "now", "--format", "pdf", "-o", "x",
        ])
        .code(2);
    let line = run.one_line_error();
    assert!(
        line.contains("\"pdf\"") && line.contains("csv or xls"),
        "{line}"
    );
    download.assert();
    assert_all(&all);
}

#[test]
fn gps_prints_or_writes_the_kml() {
    let mut env = Env::new("gps");
    let all = env.catch_all();
    env.me(1);
    let kml = fixture("gps_download.kml");
    let gps = env
        .server
        .mock("GET", "/installations/151734/gps-download")
        .match_query(Matcher::Exact(format!("start={START}&end={}", START + DAY)))
        .with_header("content-type", "application/vnd.google-earth.kml+xml")
        .with_body(&kml)
        .expect(1)
        .create();
    let args = ["gps", SITE, "--from", "2026-11-01", "--to", "2026-11-02"];
    let run = env.run(&args).ok();
    assert_eq!(run.stdout.trim_end(), kml.trim());
    assert!(run.stdout.starts_with("<?xml"), "nothing before the KML");
    let file = env.dir.join("track.kml");
    let file_text = file.display().to_string();
    let run = env.run(&[&args[..], &["-o", &file_text]].concat()).ok();
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert_eq!(std::fs::read_to_string(&file).unwrap().trim(), kml.trim());
    gps.assert();
    assert_all(&all);
}

#[test]
fn tags_in_every_format() {
    let mut env = Env::new("tags");
    let all = env.catch_all();
    env.me(1);
    let tags = env.get("/installations/151734/tags", &fixture("tags.json"));
    let [table, csv_run, json_run] = env.formats(&["tags", SITE]);
    assert_table(
        &table.stdout,
        &["source", "tag"],
        5,
        &[
            &["predefined", "No alarm"],
            &["user", "demo"],
            &["team", "bar"],
        ],
    );
    assert_eq!(csv(&csv_run.stdout, &["source", "tag"]).len(), 5);
    let v = json_run.json();
    let list = v["data"]["tags"].as_array().expect("the tags");
    assert_eq!(list.len(), 5);
    assert!(
        list.iter()
            .any(|t| t["name"] == "demo" && t["source"] == "user")
    );
    tags.assert();
    assert_all(&all);
}

#[test]
fn tokens_list_create_and_revoke() {
    let mut env = Env::new("tokens");
    let all = env.catch_all();
    env.me(1);
    let list = env
        .server
        .mock("GET", "/users/22/accesstokens/list")
        .match_header("x-authorization", token_header().as_str())
        .with_body(fixture("tokens_list.json"))
        .expect(3)
        .create();
    let [table, csv_run, json_run] = env.formats(&["tokens", "list"]);
    let header = ["id", "name", "created", "expires", "scope"];
    assert_table(
        &table.stdout,
        &header,
        3,
        &[&["50", "Token #1", "2017-10-19T12:11:54Z", "FULL_ACCESS"]],
    );
    assert_eq!(csv(&csv_run.stdout, &header).len(), 3);
    let v = json_run.json();
    assert_eq!(v["source"], "network", "token lists are never cached");
    assert_eq!(v["data"].as_array().map(Vec::len), Some(3));

    let create = env
        .server
        .mock("POST", "/users/22/accesstokens/create")
        .match_body(Matcher::Json(json!({"name": "laptop"})))
        .with_body(fixture("tokens_create.json"))
        .expect(1)
        .create();
    let run = env
        .run(&["tokens", "create", "laptop", "--format", "json"])
        .ok();
    let v = run.json();
    assert_eq!(
        v["data"],
        json!({"idAccessToken": 123, "name": "laptop", "token": "abcd1234efab1234"})
    );

    let revoke_one = env
        .server
        .mock("DELETE", "/users/22/accesstokens/51")
        .with_body(r#"{"success":true,"data":{"removed":1}}"#)
        .expect(1)
        .create();
    let run = env.run(&["tokens", "revoke", "51"]).ok();
    assert_table(&run.stdout, &["revoked"], 1, &[&["1"]]);
    let revoke_all = env
        .server
        .mock(
            "DELETE",
            Matcher::Regex(r"^/users/22/accesstokens/(\*|%2A)$".into()),
        )
        .with_body(fixture("tokens_revoke.json"))
        .expect(1)
        .create();
    let run = env
        .run(&["tokens", "revoke", "*", "--yes", "--format", "csv"])
        .ok();
    assert_eq!(csv(&run.stdout, &["revoked"]), [["3"]]);
    let run = env.run(&["tokens", "revoke", "fifty"]).code(2);
    let line = run.one_line_error();
    assert!(line.contains("\"fifty\"") && line.contains("'*'"), "{line}");
    list.assert();
    create.assert();
    revoke_one.assert();
    revoke_all.assert();
    assert_all(&all);
}

#[test]
fn cache_info_and_purge() {
    let mut env = Env::new("cache");
    let all = env.catch_all();
    env.me(1);
    env.stats(1);
    env.run(&["stats", SITE, "--from", FROM, "--to", TO]).ok();

    let [table, csv_run, json_run] = env.formats(&["cache", "info"]);
    let records = csv(&csv_run.stdout, &["site", "kind", "rows"]);
    assert!(
        records.iter().any(|r| r[0] == SITE && r[1] == "stats"),
        "{records:?}"
    );
    let rows = assert_table(&table.stdout, &["site", "kind", "rows"], records.len(), &[]);
    assert!(
        table
            .stdout
            .contains(&format!("{}: ", env.cache().display())),
        "the note names the file: {}",
        table.stdout
    );
    assert_eq!(records.len(), rows.len());
    let v = json_run.json();
    assert_eq!(v["source"], "cache");
    assert_eq!(v["requests"], 0);
    assert_eq!(v["data"]["path"], env.cache().display().to_string());
    assert!(v["data"]["size_bytes"].as_u64().unwrap_or(0) > 0);
    let site = v["data"]["sites"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["site"] == 151734))
        .expect("the site's rows");
    assert!(site["rows"]["stats"].as_u64().unwrap_or(0) > 0, "{site}");

    let run = env
        .run(&["cache", "purge", "--site", SITE, "--format", "json"])
        .ok();
    let v = run.json();
    assert!(v["data"]["deleted"].as_u64().unwrap_or(0) > 0, "{v}");
    let v = env.run(&["cache", "info", "--format", "json"]).ok().json();
    assert!(
        !v["data"]["sites"]
            .as_array()
            .is_some_and(|s| s.iter().any(|s| s["site"] == 151734)),
        "purged: {v}"
    );
    let run = env.run(&["cache", "purge"]).ok();
    assert_table(&run.stdout, &["deleted rows"], 1, &[]);
    let run = env.run(&["cache", "purge", "--kind", "nonsense"]).code(2);
    let line = run.one_line_error();
    assert!(
        line.contains("\"nonsense\"") && line.contains("stats"),
        "{line}"
    );
    let run = env.run(&["cache", "purge", "--older-than", "soon"]).code(2);
    assert!(run.one_line_error().contains("\"soon\""));
    assert_all(&all);
}

#[test]
fn codes_search_and_device() {
    let dir = TempDir::new("cli-codes");
    // The catalogue is local: no credentials, no server, no cache needed.
    let codes = |args: &[&str]| run(bare(&dir).arg("--no-cache").arg("codes").args(args));
    let header = ["code", "device type", "data type", "description"];
    let table = codes(&["Battery State of Charge"]).ok();
    let rows = assert_table(
        &table.stdout,
        &header,
        table.stdout.lines().count() - 1,
        &[&["bs", "System overview", "float", "Battery State of Charge"]],
    );
    assert!(
        rows.iter()
            .all(|r| r[3].contains("Battery State of Charge"))
    );
    let all_rows = csv(&codes(&["--format", "csv"]).ok().stdout, &header);
    let system = csv(
        &codes(&["--device", "system overview", "--format", "csv"])
            .ok()
            .stdout,
        &header,
    );
    assert!(!system.is_empty() && system.len() < all_rows.len());
    assert!(system.iter().all(|r| r[1] == "System overview"));
    let both = codes(&["bs", "--device", "System overview", "--format", "json"]).ok();
    let v = both.json();
    let data = v["data"].as_array().expect("an array");
    assert!(
        data.iter()
            .any(|a| a["code"] == "bs" && a["description"] == "Battery State of Charge"),
        "{v}"
    );
    assert!(data.iter().all(|a| a["device_type"] == "System overview"));
    // Every energy code (`Pc`, …) is in the full list too.
    assert!(
        all_rows.iter().any(|r| r[0] == "Pc"),
        "Pc missing from `vrm codes`"
    );
    let run = codes(&["--device", "toaster"]).code(2);
    let line = run.one_line_error();
    assert!(
        line.contains("\"toaster\"") && line.contains("System overview"),
        "{line}"
    );
}

/// `GET /users/22/installations` with the fixture, `edit`ed, expected once.
fn installations_mock(env: &mut Env, edit: impl Fn(String) -> String) -> Mock {
    env.server
        .mock("GET", "/users/22/installations")
        .match_header("x-authorization", token_header().as_str())
        .with_body(edit(fixture("installations.json")))
        .expect(1)
        .create()
}

#[test]
fn sync_fills_the_cache_and_resumes() {
    let mut env = Env::new("sync");
    let all = env.catch_all();
    env.me(1);
    let sep_1 = NOV_1 - 61 * DAY;
    let oct_2 = sep_1 + 31 * DAY;
    // The first 31-day chunk answers; the second fails once.
    let first_chunk = stats_mock(
        &mut env.server,
        Matcher::UrlEncoded("start".into(), sep_1.to_string()),
    )
    .expect(1)
    .create();
    let broken = env
        .server
        .mock("GET", "/installations/151734/stats")
        .match_query(Matcher::UrlEncoded("start".into(), oct_2.to_string()))
        .with_status(404)
        .with_body(r#"{"success":false,"errors":"gone for now","error_code":"not_found"}"#)
        .expect(1)
        .create();
    let args = [
        "sync",
        SITE,
        "--from",
        "2026-09-01",
        "--to",
        "2026-11-01",
        "--format",
        "json",
    ];
    let run = env.run(&args).code(3);
    assert!(run.one_line_error().contains("404"));
    broken.remove();
    let second_chunk = stats_mock(
        &mut env.server,
        Matcher::UrlEncoded("start".into(), oct_2.to_string()),
    )
    .expect(1)
    .create();
    let v = env.run(&args).ok().json();
    assert_eq!(v["source"], "mixed", "the first chunk came from the cache");
    assert_eq!(v["requests"], 1, "only the chunk that failed");
    assert_eq!(
        v["data"],
        json!({
            "site": 151734, "type": "kwh", "interval": "hours",
            "start": sep_1, "end": NOV_1, "points": 3 * 61 * 24,
        })
    );
    let table = env
        .run(&["sync", SITE, "--from", "2026-09-01", "--to", "2026-11-01"])
        .ok();
    assert_table(
        &table.stdout,
        &["site", "from", "to", "points", "requests", "source"],
        1,
        &[&[
            SITE,
            "2026-09-01T00:00:00Z",
            "2026-11-01T00:00:00Z",
            "4392",
            "0",
            "cache",
        ]],
    );
    // Any window inside is now there offline.
    let v = env
        .run(&[
            "--offline",
            "stats",
            SITE,
            "--from",
            "2026-10-01",
            "--to",
            "2026-10-03",
            "--format",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(v["source"], "cache");
    assert_eq!(v["data"]["series"]["Pc"].as_array().map(Vec::len), Some(48));
    let csv_run = env
        .run(&[
            "sync",
            SITE,
            "--from",
            "2026-10-01",
            "--to",
            "2026-10-02",
            "--format",
            "csv",
        ])
        .ok();
    assert_eq!(
        csv(
            &csv_run.stdout,
            &["site", "from", "to", "points", "requests", "source"]
        )
        .len(),
        1
    );
    let run = env
        .run(&["--no-cache", "sync", SITE, "--from", "-1d"])
        .code(2);
    assert!(run.stdout.is_empty());
    first_chunk.assert();
    second_chunk.assert();
    assert_all(&all);
}

#[test]
fn completions_for_each_shell() {
    let dir = TempDir::new("cli-completions");
    for (shell, marker) in [
        ("bash", "complete -F _vrm"),
        ("zsh", "#compdef vrm"),
        ("fish", "complete -c vrm"),
    ] {
        let run = run(bare(&dir).args(["--no-cache", "completions", shell])).ok();
        assert!(run.stdout.contains(marker), "{shell}: {}", run.stdout);
        for command in ["stats", "report", "sync", "tokens", "completions"] {
            assert!(run.stdout.contains(command), "{shell}: no {command}");
        }
        assert!(run.stderr.is_empty(), "{}", run.stderr);
    }
    let run = run(bare(&dir).args(["--no-cache", "completions", "tcsh"])).code(2);
    let line = run.one_line_error();
    assert!(line.contains("tcsh") && line.contains("bash"), "{line}");
}

#[test]
fn login_prints_a_new_token_once() {
    let mut env = Env::new("login");
    let all = env.catch_all();
    let password = "correct horse battery staple";
    let login = env
        .server
        .mock("POST", "/auth/login")
        .match_body(Matcher::PartialJson(
            json!({"username": "me@example.com", "password": password}),
        ))
        .with_body(fixture("login.json"))
        .expect(2)
        .create();
    let create = env
        .server
        .mock("POST", "/users/22/accesstokens/create")
        .match_header(
            "x-authorization",
            "Bearer eyJhbGciOiJIUzI1NiJ9.secret-payload.signature",
        )
        .match_body(Matcher::Json(json!({"name": "laptop"})))
        .with_body(fixture("tokens_create.json"))
        .expect(2)
        .create();
    let login_run = |format: &str| {
        run(bare(&env.dir)
            .env("VRM_USERNAME", "me@example.com")
            .env("VRM_PASSWORD", password)
            .args(["--no-cache", "--base-url", &env.server.url()])
            .args(["login", "--name", "laptop", "--format", format]))
        .ok()
    };
    let table = login_run("table");
    assert_table(
        &table.stdout,
        &["field", "value"],
        4,
        &[
            &["user", "22"],
            &["token name", "laptop"],
            &["token id", "123"],
            &["token", "abcd1234efab1234"],
        ],
    );
    assert!(
        table.stdout.contains("export VRM_TOKEN=abcd1234efab1234"),
        "{}",
        table.stdout
    );
    let json_run = login_run("json");
    let v = json_run.json();
    assert_eq!(
        v["data"],
        json!({"user": 22, "name": "laptop", "idAccessToken": 123, "token": "abcd1234efab1234"})
    );
    for run in [&table, &json_run] {
        for text in [&run.stdout, &run.stderr] {
            assert!(!text.contains(password), "the password shows: {text}");
            assert!(
                !text.contains("secret-payload"),
                "the session shows: {text}"
            );
        }
    }
    // Without the credentials: exit 2, nothing sent.
    let run =
        run(bare(&env.dir).args(["--no-cache", "--base-url", &env.server.url(), "login"])).code(2);
    assert!(run.one_line_error().contains("VRM_USERNAME"));
    login.assert();
    create.assert();
    assert_all(&all);
}

#[test]
fn help_documents_the_exit_codes() {
    let dir = TempDir::new("cli-help");
    let run = run(bare(&dir).args(["--no-cache", "--help"])).ok();
    for text in [
        "Exit codes: 0 success, 2 usage or invalid input (nothing was sent), 3 VRM answered \
         with an error or an answer that cannot be used (authentication included), 4 network \
         error (DNS, connect, TLS, timeout), 5 offline and not in the cache",
        "--timeout <SECS>",
        "VRM_TIMEOUT",
        "4 x 60 s + 3.5 s = 243.5 s",
        "4 x 60 s + 3 x 60 s = 420 s",
        "ESC as \\u{1b}",
    ] {
        assert!(
            run.stdout.contains(text),
            "{text:?} missing:\n{}",
            run.stdout
        );
    }
    assert!(run.stderr.is_empty());
}

#[test]
fn a_bad_cache_file_exits_1_without_a_request() {
    let mut env = Env::new("bad-cache");
    let all = env.catch_all();
    std::fs::write(env.cache(), "not a database").unwrap();
    let run = env.run(&["me"]).code(1);
    let line = run.one_line_error();
    assert!(line.contains("not a vrm cache"), "{line}");
    assert_eq!(
        std::fs::read(env.cache()).unwrap(),
        b"not a database",
        "left untouched"
    );
    assert_all(&all);
}

// ---- 2. exit codes and bad input ---------------------------------------------------

/// Bad input: exit 2, one line naming the value and what is accepted, and
/// not a single request.
#[test]
fn bad_input_exits_2_without_a_request() {
    let mut env = Env::new("bad-input");
    let all = env.catch_all();
    fn stats<'a>(extra: &[&'a str]) -> Vec<&'a str> {
        let mut args = vec!["stats"];
        args.extend(extra);
        args
    }
    let cases: Vec<(Vec<&str>, &[&str])> = vec![
        (
            stats(&[SITE, "--from", "yesterday", "--to", "now"]),
            &["--from", "\"yesterday\"", "RFC 3339", "-24h"],
        ),
        (
            stats(&[SITE, "--from", "-1d", "--to", "2026-13-01"]),
            &["--to", "\"2026-13-01\"", "a date", "unix seconds"],
        ),
        (
            stats(&["abc", "--from", "-1d", "--to", "now"]),
            &["\"abc\"", "installation id"],
        ),
        (
            stats(&[
                SITE,
                "--interval",
                "fortnight",
                "--from",
                "-1d",
                "--to",
                "now",
            ]),
            &["\"fortnight\"", "hours", "days", "15mins"],
        ),
        (
            stats(&[SITE, "--type", "custom", "--from", "-1d", "--to", "now"]),
            &["--type custom", "--codes"],
        ),
        (
            stats(&[
                SITE, "--type", "custom", "--codes", "bs,b!s", "--from", "-1d", "--to", "now",
            ]),
            // Checked against the catalogue before the library's syntax check.
            &["unknown code 'b!s'", "did you mean 'bs'"],
        ),
        (
            stats(&[SITE, "--codes", "bs", "--from", "-1d", "--to", "now"]),
            &["--codes", "--type custom"],
        ),
        (
            stats(&[SITE, "--from", "-1d"]),
            &["--to <TIME>", "Usage: vrm stats"],
        ),
        (
            stats(&[SITE, "--type", "weekly", "--from", "-1d", "--to", "now"]),
            &["weekly", "kwh", "custom"],
        ),
        (
            stats(&[SITE, "--from", "now", "--to", "-2d"]),
            &["invalid input"],
        ),
        (
            stats(&[SITE, "--from", "-1d", "--to", "now", "--bogus"]),
            &["--bogus"],
        ),
        (vec!["overview", "12x"], &["\"12x\"", "installation id"]),
        (
            vec!["--format", "xml", "me"],
            &["xml", "table", "csv", "json"],
        ),
        (vec!["frobnicate"], &["frobnicate"]),
    ];
    for (args, words) in cases {
        let run = env.run(&args).code(2);
        let line = run.one_line_error();
        for word in words {
            assert!(
                line.contains(word),
                "vrm {}: {word:?} missing from {line:?}",
                args.join(" ")
            );
        }
        assert!(!line.contains(TOKEN));
    }
    // No credentials at all: also a usage error, before any request.
    let run =
        run(bare(&env.dir).args(["--base-url", &env.server.url(), "--no-cache", "me"])).code(2);
    assert!(run.one_line_error().contains("VRM_TOKEN"));
    let run = env.run(&["--no-cache", "--offline", "me"]).code(2);
    assert!(run.one_line_error().contains("--no-cache"));
    // Checked before the account is looked up: with this empty cache that
    // would be a `users/me` request (which the catch-all would answer).
    for (args, words) in [
        (
            &["tokens", "revoke", "fifty"][..],
            &["\"fifty\"", "'*'"][..],
        ),
        (&["tokens", "revoke", ""], &["token id", "'*'"]),
        (&["tokens", "create", "  "], &["token name", "blank"]),
    ] {
        let run = env.run(args).code(2);
        let line = run.one_line_error();
        for word in words {
            assert!(
                line.contains(word),
                "vrm {args:?}: {word:?} missing from {line}"
            );
        }
    }
    let run = self::run(
        bare(&env.dir)
            .env("VRM_USERNAME", "me@example.com")
            .env("VRM_PASSWORD", "pw")
            .args(["--no-cache", "--base-url", &env.server.url()])
            .args(["login", "--name", " "]),
    )
    .code(2);
    assert!(run.one_line_error().contains("--name"));
    // --timeout and VRM_TIMEOUT: a positive number of seconds.
    for bad in ["0", "-1", "abc", "", "inf", "NaN", "1e9", "30s"] {
        let run = env.run(&[&format!("--timeout={bad}"), "me"]).code(2);
        let line = run.one_line_error();
        assert!(
            line.contains(&format!("'{bad}'")) && line.contains("number of seconds"),
            "--timeout {bad:?}: {line}"
        );
        if bad.is_empty() {
            continue;
        }
        let run = self::run(env.cmd().env("VRM_TIMEOUT", bad).arg("me")).code(2);
        let line = run.one_line_error();
        assert!(
            line.contains(&format!("VRM_TIMEOUT {bad:?}")) && line.contains("0.001 to 86400"),
            "VRM_TIMEOUT={bad:?}: {line}"
        );
    }
    assert_all(&all);
}

#[test]
fn api_errors_exit_3() {
    let mut env = Env::new("api-error");
    let all = env.catch_all();
    let refused = env
        .server
        .mock("GET", "/users/me")
        .with_status(401)
        .with_body(r#"{"success":false,"errors":"Invalid token","error_code":"invalid_token"}"#)
        .expect(1)
        .create();
    let run = env.run(&["me"]).code(3);
    let line = run.one_line_error();
    assert!(
        line.contains("credentials") || line.contains("401"),
        "{line}"
    );
    assert!(!line.contains(TOKEN));
    refused.assert();

    let mut env = Env::new("api-404");
    let all_404 = env.catch_all();
    env.me(1);
    let missing = env
        .server
        .mock("GET", "/installations/999/system-overview")
        .with_status(404)
        .with_body(
            r#"{"success":false,"errors":"Installation not found","error_code":"not_found"}"#,
        )
        .expect(1)
        .create();
    let run = env.run(&["overview", "999", "--format", "json"]).code(3);
    let line = run.one_line_error();
    assert!(line.contains("404") && line.contains("not found"), "{line}");
    missing.assert();
    assert_all(&all);
    assert_all(&all_404);
}

#[test]
fn network_errors_exit_4() {
    let dir = TempDir::new("cli-network");
    let url = format!("http://127.0.0.1:{}", closed_port());
    let run =
        run(bare(&dir)
            .env("VRM_TOKEN", TOKEN)
            .args(["--base-url", &url, "--no-cache", "me"]))
        .code(4);
    let line = run.error_line();
    assert!(line.contains("could not reach VRM"), "{line}");
    assert_eq!(
        run.stderr.lines().count(),
        4,
        "three retries: {}",
        run.stderr
    );
    assert!(!line.contains(TOKEN));
}

#[test]
fn offline_answers_from_the_cache_or_exits_5() {
    let mut env = Env::new("offline");
    let all = env.catch_all();
    // Nothing cached yet: not even the account of the token.
    let run = env
        .run(&["--offline", "stats", SITE, "--from", FROM, "--to", TO])
        .code(5);
    assert!(run.one_line_error().contains("offline"));

    let me = env.me(1);
    let stats = env.stats(1);
    let args = [
        "stats", SITE, "--from", FROM, "--to", TO, "--format", "json",
    ];
    let online = env.run(&args).ok().json();
    assert_eq!(online["source"], "network");
    let offline = env
        .run(&[&["--offline"][..], &args[..]].concat())
        .ok()
        .json();
    assert_eq!(offline["source"], "cache");
    assert_eq!(offline["requests"], 0);
    assert_eq!(offline["data"], online["data"]);
    // A window the cache does not hold.
    let run = env
        .run(&[
            "--offline",
            "stats",
            SITE,
            "--from",
            "2026-11-02",
            "--to",
            "2026-11-03",
        ])
        .code(5);
    let line = run.one_line_error();
    assert!(
        line.contains("not in the cache") && line.contains("2026-11-02T00:00:00Z"),
        "{line}"
    );
    // Other endpoints too.
    let run = env.run(&["--offline", "overview", SITE]).code(5);
    run.one_line_error();
    me.assert();
    stats.assert();
    assert_all(&all);
}

// ---- 3. the cache: a second run costs nothing ----------------------------------------

#[test]
fn second_stats_run_makes_no_request() {
    let mut env = Env::new("stats-twice");
    let all = env.catch_all();
    let me = env.me(1);
    let stats = env.stats(1);
    let args = [
        "stats",
        SITE,
        "--from",
        FROM,
        "--to",
        TO,
        "--interval",
        "hours",
        "--format",
        "json",
    ];
    let first = env.run(&args).ok().json();
    assert_eq!(first["source"], "network");
    assert!(first["requests"].as_u64().unwrap_or(0) >= 1);
    let second = env.run(&args).ok().json();
    assert_eq!(second["source"], "cache");
    assert_eq!(second["requests"], 0);
    assert_eq!(second["data"], first["data"]);
    // `--refresh` asks again.
    stats.assert();
    let refresh = stats_mock(&mut env.server, Matcher::Any).expect(1).create();
    let third = env
        .run(&[&["--refresh"][..], &args[..]].concat())
        .ok()
        .json();
    assert_eq!(third["source"], "network");
    assert_eq!(third["requests"], 1);
    me.assert();
    refresh.assert();
    assert_all(&all);
}

#[test]
fn base_url_from_the_environment() {
    let mut env = Env::new("env-url");
    let all = env.catch_all();
    let me = env.me_for_me();
    let run = run(bare(&env.dir)
        .env("VRM_TOKEN", TOKEN)
        .env("VRM_API_URL", env.server.url())
        .args(["me", "--cache"])
        .arg(env.cache())
        .args(["--format", "json"]))
    .ok();
    assert_eq!(run.json()["data"]["id"], 22);
    me.assert();
    assert_all(&all);
}

// ---- 5. the demo ------------------------------------------------------------------

/// The demo login, user 22's installations and `stats` stats requests.
fn demo_server(env: &mut Env, stats: usize) -> (Mock, Mock, Mock) {
    let login = env
        .server
        .mock("GET", "/auth/loginAsDemo")
        .with_body(DEMO_LOGIN)
        .expect(1)
        .create();
    let sites = env
        .server
        .mock("GET", "/users/22/installations")
        .match_header("x-authorization", "Bearer demo-session-token-9c2e")
        .with_body(fixture("installations.json"))
        .expect(1)
        .create();
    let stats = env
        .server
        .mock("GET", Matcher::Regex(r"^/installations/\d+/stats\?".into()))
        .match_header("x-authorization", "Bearer demo-session-token-9c2e")
        .with_body_from_request(|req| stats_body(req.path_and_query(), step_of(req)))
        .expect(stats)
        .create();
    (login, sites, stats)
}

#[test]
fn demo_twice_second_from_the_cache() {
    let mut env = Env::new("demo");
    let all = env.catch_all();
    let (login, sites, stats) = demo_server(&mut env, 2);
    let demo = || {
        run(bare(&env.dir)
            .args(["demo", "--base-url", &env.server.url(), "--cache"])
            .arg(env.cache()))
    };
    let first = demo().ok();
    assert!(
        first
            .stdout
            .starts_with(&format!("VRM demo account at {}", env.server.url())),
        "{}",
        first.stdout
    );
    assert!(
        first.stdout.contains("7 installations:"),
        "{}",
        first.stdout
    );
    assert!(first.stdout.contains("35ft Yacht"), "{}", first.stdout);
    assert!(first.stdout.contains("energy report, last 3 days:"));
    let last = first.stdout.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("4 requests to VRM (source: "),
        "login, installations, the week, the report: {last}"
    );
    let second = demo().ok();
    let last = second.stdout.lines().last().unwrap_or_default();
    assert_eq!(last, "answered from the cache (cache): 0 requests to VRM");
    let json_run = run(bare(&env.dir)
        .args([
            "demo",
            "--format",
            "json",
            "--base-url",
            &env.server.url(),
            "--cache",
        ])
        .arg(env.cache()))
    .ok();
    let v = json_run.json();
    assert_eq!(v["source"], "cache");
    assert_eq!(v["requests"], 0);
    assert_eq!(v["data"]["installations"].as_array().map(Vec::len), Some(7));
    assert_eq!(v["data"]["stats"]["interval"], "days");
    assert_eq!(v["data"]["report"]["timezone"], "Africa/Casablanca");
    login.assert();
    sites.assert();
    stats.assert();
    assert_all(&all);
}

#[test]
fn demo_flag_logs_in_as_the_demo_user() {
    let mut env = Env::new("demo-flag");
    let all = env.catch_all();
    let (login, sites, stats) = demo_server(&mut env, 1);
    let run = run(bare(&env.dir)
        .args(["--demo", "--base-url", &env.server.url(), "--cache"])
        .arg(env.cache())
        .args([
            "report",
            "928708",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-03",
        ])
        .args(["--format", "json"]))
    .ok();
    let v = run.json();
    assert_eq!(v["source"], "network");
    assert_eq!(v["requests"], 3, "the login, the installations, the stats");
    // --to is exclusive: 1 and 2 November.
    assert_eq!(v["data"]["days"].as_array().map(Vec::len), Some(2));
    login.assert();
    sites.assert();
    stats.assert();
    assert_all(&all);
}

#[test]
fn demo_without_network_fails_fast() {
    let dir = TempDir::new("cli-demo-offline");
    let url = format!("http://127.0.0.1:{}", closed_port());
    let started = std::time::Instant::now();
    let run = run(bare(&dir).args(["demo", "--no-cache", "--base-url", &url])).code(4);
    assert!(run.error_line().contains("could not reach VRM"));
    // A fresh machine has nothing cached: the way on is the local demo.
    assert!(run.error_line().contains("local_demo"), "{}", run.stderr);
    assert!(!run.error_line().contains("--offline"), "{}", run.stderr);
    assert!(
        run.stderr.lines().count() <= 2,
        "one retry at most: {}",
        run.stderr
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

#[test]
fn demo_refused_by_vrm_names_the_two_ways_on() {
    for (status, body) in [
        (
            401,
            r#"{"success":false,"errors":"Bearer logins are no longer supported","error_code":"deprecated"}"#,
        ),
        (200, r#"{"token":null}"#),
    ] {
        let mut env = Env::new("demo-refused");
        let login = env
            .server
            .mock("GET", "/auth/loginAsDemo")
            .with_status(status)
            .with_body(body)
            .expect(1)
            .create();
        let run = env.run(&["demo"]).code(3);
        let line = run.error_line();
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
        assert!(line.contains("refused the demo login"), "{line}");
        assert!(
            line.contains("VRM_TOKEN") && line.contains("local_demo"),
            "{line}"
        );
        login.assert();
    }
}

// ---- 6, 7. secrets and a clean stdout ---------------------------------------------

#[test]
fn the_token_never_shows_even_with_debug_logs() {
    let mut env = Env::new("secrets");
    let all = env.catch_all();
    env.me(1);
    env.stats(1);
    env.get(
        "/installations/151734/system-overview",
        &fixture("system_overview.json"),
    );
    env.server
        .mock("GET", "/installations/151734/tags")
        .with_status(401)
        .with_body(r#"{"success":false,"errors":"Token expired","error_code":"invalid_token"}"#)
        .create();
    let runs = [
        env.run(&["-vv", "stats", SITE, "--from", FROM, "--to", TO])
            .ok(),
        env.run(&[
            "-vv", "stats", SITE, "--from", FROM, "--to", TO, "--format", "json",
        ])
        .ok(),
        env.run(&["-vv", "overview", SITE, "--format", "csv"]).ok(),
        env.run(&["-vv", "--refresh", "overview", SITE]).ok(),
        env.run(&["-vv", "tags", SITE]).code(3),
        env.run(&["-vv", "cache", "info"]).ok(),
        env.run(&["-vv", "stats", "x", "--from", "-1d", "--to", "now"])
            .code(2),
    ];
    let logged = runs
        .iter()
        .filter(|r| r.stderr.contains("vrm: debug:"))
        .count();
    assert!(logged >= 3, "-vv logs: {runs:#?}");
    for run in &runs {
        for text in [&run.stdout, &run.stderr] {
            assert!(
                !text.contains(TOKEN),
                "vrm {}: the token shows:\n{text}",
                run.args
            );
            assert!(!text.contains("5f1d"), "a part of the token shows: {text}");
        }
    }
    assert_all(&all);
}

#[test]
fn logs_go_to_stderr_and_stdout_holds_only_the_result() {
    let mut env = Env::new("stdout");
    let all = env.catch_all();
    env.me(1);
    env.stats(1);
    let run = env
        .run(&[
            "-v", "stats", SITE, "--from", FROM, "--to", TO, "--format", "json",
        ])
        .ok();
    assert!(
        run.stderr
            .lines()
            .any(|l| l.contains("GET installations/{idSite}/stats -> 200")),
        "-v logs each request on stderr: {}",
        run.stderr
    );
    assert!(
        run.stderr.lines().all(|l| l.starts_with("vrm: ")),
        "{}",
        run.stderr
    );
    let v = run.json();
    assert_eq!(v["source"], "network");
    // CSV with -vv: still nothing but the records.
    let run = env
        .run(&[
            "-vv", "stats", SITE, "--from", FROM, "--to", TO, "--format", "csv",
        ])
        .ok();
    let rows = csv(
        &run.stdout,
        &["time", "code", "instance", "value", "min", "max"],
    );
    assert_eq!(rows.len(), 18);
    // Without -v a run that succeeds says nothing on stderr.
    let run = env.run(&["stats", SITE, "--from", FROM, "--to", TO]).ok();
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    assert_all(&all);
}

#[test]
fn the_demo_session_token_never_shows() {
    let mut env = Env::new("demo-secret");
    let all = env.catch_all();
    let (_login, _sites, _stats) = demo_server(&mut env, 2);
    let run = run(bare(&env.dir)
        .args(["-vv", "demo", "--base-url", &env.server.url(), "--cache"])
        .arg(env.cache()))
    .ok();
    assert!(!run.stdout.contains("demo-session-token-9c2e"));
    assert!(
        !run.stderr.contains("demo-session-token-9c2e"),
        "{}",
        run.stderr
    );
    assert_all(&all);
}

// ---- 8. terminal safety: VRM's text never reaches the terminal raw -----------------

/// A name with every kind of control character (and Unicode to keep).
const EVIL: &str = "\u{1b}[31mred\u{7}bell\rback\u{0}nul\u{7f}del\u{9b}2Jcsi\ttab\nline Zürich ☀";

/// [`EVIL`] as the table and CSV show it.
const EVIL_SHOWN: &str =
    "\\u{1b}[31mred\\u{7}bell\\u{d}back\\u{0}nul\\u{7f}del\\u{9b}2Jcsi\\u{9}tab\\u{a}line Zürich ☀";

/// Assert `text` holds no control character but line ends.
#[track_caller]
fn assert_no_raw_controls(what: &str, text: &str) {
    if let Some(c) = text.chars().find(|&c| c.is_control() && c != '\n') {
        panic!("{what}: raw control {c:?} in:\n{text:?}");
    }
}

#[test]
fn server_text_is_escaped_in_tables_and_csv_and_exact_in_json() {
    let mut env = Env::new("escape");
    let all = env.catch_all();
    env.me(1);
    let sites = json!({"success": true, "records": [{
        "idSite": 151734, "name": EVIL, "identifier": "id\u{7}", "timezone": "UTC\r",
        "idUser": 22, "accessLevel": 1, "owner": true,
    }]});
    env.get("/users/22/installations", &sites.to_string());
    let mut overview: Value = serde_json::from_str(&fixture("system_overview.json")).unwrap();
    overview["records"]["devices"][0]["customName"] = json!(EVIL);
    overview["records"]["devices"][0]["productName"] = json!("\u{1b}]0;title\u{7}");
    env.get(
        "/installations/151734/system-overview",
        &overview.to_string(),
    );
    let tags = json!({"success": true, "tags": {"predefined": [EVIL], "user": ["ok\u{0}"]}});
    env.get("/installations/151734/tags", &tags.to_string());

    for args in [&["installations"][..], &["overview", SITE], &["tags", SITE]] {
        let [table, csv_run, json_run] = env.formats(args);
        for run in [&table, &csv_run, &json_run] {
            assert_no_raw_controls(&run.args, &run.stdout);
            assert_no_raw_controls(&run.args, &run.stderr);
        }
        assert!(table.stdout.contains(EVIL_SHOWN), "{}", table.stdout);
        // One record a line: the newline of the name is escaped too.
        assert!(csv_run.stdout.contains(EVIL_SHOWN), "{}", csv_run.stdout);
        let v = json_run.json();
        let exact = match args[0] {
            "installations" => v["data"][0]["name"].clone(),
            "overview" => v["data"]["devices"][0]["customName"].clone(),
            _ => v["data"]["tags"]
                .as_array()
                .and_then(|t| t.iter().find(|t| t["source"] == "predefined"))
                .map(|t| t["name"].clone())
                .unwrap_or_default(),
        };
        assert_eq!(
            exact, EVIL,
            "JSON keeps the exact text: {}",
            json_run.stdout
        );
    }
    let run = env.run(&["overview", SITE]).ok();
    assert!(
        run.stdout.contains("\\u{1b}]0;title\\u{7}"),
        "{}",
        run.stdout
    );
    assert_all(&all);
}

#[test]
fn a_huge_error_body_is_one_short_escaped_line() {
    let mut env = Env::new("huge-error");
    let all = env.catch_all();
    env.me(1);
    let huge = format!("\u{1b}]0;pwned\u{7}\r{}", "x".repeat(1 << 20));
    let body = json!({"success": false, "errors": huge, "error_code": "bad\u{1b}[2J"}).to_string();
    let refused = env
        .server
        .mock("GET", "/installations/151734/tags")
        .with_status(400)
        .with_body(&body)
        .expect(1)
        .create();
    let run = env.run(&["tags", SITE]).code(3);
    let line = run.one_line_error();
    assert_no_raw_controls("stderr", &run.stderr);
    assert!(line.len() < 1000, "{} bytes: {line}", line.len());
    assert!(
        line.contains("http 400")
            && line.contains("(bad\\u{1b}[2J)")
            && line.contains(": \\u{1b}]0;pwned\\u{7}\\u{d}xxx")
            && line.contains(&format!("… ({} more bytes)", huge.len() - 187)),
        "{line}"
    );
    assert!(!line.contains("network"), "{line}");
    refused.assert();

    // An answer that does not decode: serde quotes the value, cut as well,
    // and its position is kept.
    let mut env = Env::new("huge-decode");
    let all_decode = env.catch_all();
    env.me(1);
    let body = json!({"success": true, "tags": huge}).to_string();
    env.get("/installations/151734/tags", &body);
    let run = env.run(&["tags", SITE]).code(3);
    let line = run.one_line_error();
    assert_no_raw_controls("stderr", &run.stderr);
    assert!(line.len() < 1000, "{} bytes: {line}", line.len());
    assert!(
        line.contains("unexpected answer from installations/{idSite}/tags")
            && line.contains("more bytes)")
            && line.contains(" at line 1 column ")
            && line.contains("body starts: "),
        "{line}"
    );
    assert!(!line.contains("network"), "{line}");
    assert_all(&all);
    assert_all(&all_decode);
}

// ---- 9. exit codes that tell the truth -------------------------------------------

#[test]
fn answers_that_cannot_be_used_exit_3_never_2_or_4() {
    // Not JSON at all.
    let mut env = Env::new("not-json");
    let all = env.catch_all();
    let me = env
        .server
        .mock("GET", "/users/me")
        .with_body("<html>\u{1b}[2J maintenance</html>")
        .expect(1)
        .create();
    let run = env.run(&["me"]).code(3);
    let line = run.one_line_error();
    assert!(line.contains("unexpected answer from users/me"), "{line}");
    assert!(
        !line.contains("network") && !line.contains('\u{1b}'),
        "{line}"
    );
    me.assert();
    assert_all(&all);

    // A login answer without the user id; `users/me` then answers nonsense.
    let mut env = Env::new("login-null-id");
    let all = env.catch_all();
    let login = env
        .server
        .mock("POST", "/auth/login")
        .with_body(r#"{"token":"session-7f","idUser":null}"#)
        .expect(1)
        .create();
    let me = env
        .server
        .mock("GET", "/users/me")
        .match_header("x-authorization", "Bearer session-7f")
        .with_body(r#"{"success":true,"user":"nobody"}"#)
        .expect(1)
        .create();
    let run = self::run(
        bare(&env.dir)
            .env("VRM_USERNAME", "me@example.com")
            .env("VRM_PASSWORD", "pw")
            .args([
                "--no-cache",
                "--base-url",
                &env.server.url(),
                "installations",
            ]),
    )
    .code(3);
    let line = run.one_line_error();
    assert!(line.contains("unexpected answer from users/me"), "{line}");
    assert!(!line.contains("network"), "{line}");
    login.assert();
    me.assert();
    assert_all(&all);

    // A report of a site the account does not list: VRM was asked (3).
    let mut env = Env::new("report-unknown-site");
    let all = env.catch_all();
    env.me(1);
    let list = installations_mock(&mut env, |s| s);
    let run = env
        .run(&[
            "report",
            "999",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-02",
        ])
        .code(3);
    let line = run.one_line_error();
    assert!(
        line.contains("site 999") && line.contains("not among"),
        "{line}"
    );
    list.assert();
    assert_all(&all);
}

/// A server on loopback that answers every request with `len` bytes of
/// body (spaces), written until the client hangs up.
fn oversized_server(len: u64) -> String {
    use std::io::{Read, Write};
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len}\r\n\r\n"
            );
            if stream.write_all(head.as_bytes()).is_err() {
                continue;
            }
            let chunk = vec![b' '; 1 << 20];
            let mut left = len;
            while left > 0 {
                let n = left.min(chunk.len() as u64) as usize;
                if stream.write_all(&chunk[..n]).is_err() {
                    break;
                }
                left -= n as u64;
            }
        }
    });
    url
}

#[test]
fn an_answer_too_large_exits_3_not_network() {
    let dir = TempDir::new("cli-too-large");
    let url = oversized_server(vrm::DEFAULT_MAX_BODY_BYTES + 1);
    let started = std::time::Instant::now();
    let run =
        run(bare(&dir)
            .env("VRM_TOKEN", TOKEN)
            .args(["--no-cache", "--base-url", &url, "me"]))
        .code(3);
    let line = run.one_line_error();
    assert!(
        line.starts_with("vrm: the answer was too large ("),
        "{line}"
    );
    assert!(!line.contains("network"), "{line}");
    eprintln!("too large: {:?}", started.elapsed());
}

// ---- 10. time limits ---------------------------------------------------------------

#[test]
fn a_silent_server_times_out_with_exit_4_within_seconds() {
    // Connections are accepted by the kernel (the backlog) and never answered.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let dir = TempDir::new("cli-timeout");
    // The flag, and the environment variable, side by side.
    std::thread::scope(|scope| {
        for (flag, env_value) in [(Some("0.5"), None), (None, Some("0.3"))] {
            let (url, dir) = (&url, &dir);
            scope.spawn(move || {
                let mut cmd = bare(dir);
                cmd.env("VRM_TOKEN", TOKEN);
                if let Some(value) = env_value {
                    cmd.env("VRM_TIMEOUT", value);
                }
                if let Some(value) = flag {
                    cmd.args(["--timeout", value]);
                }
                cmd.args(["--no-cache", "--base-url", url, "me"]);
                let started = std::time::Instant::now();
                let run = run(&mut cmd).code(4);
                let elapsed = started.elapsed().as_secs_f64();
                let line = run.error_line();
                assert!(line.starts_with("vrm: timed out ("), "{line}");
                assert!(line.contains("--timeout"), "{line}");
                assert!(!line.contains(TOKEN));
                assert_eq!(
                    run.stderr.lines().count(),
                    4,
                    "three retries: {}",
                    run.stderr
                );
                // 4 tries of the timeout each, and back-offs of at most 3.5 s.
                let timeout: f64 = flag
                    .or(env_value)
                    .unwrap_or_default()
                    .parse()
                    .unwrap_or(0.0);
                assert!(
                    elapsed >= 4.0 * timeout && elapsed < 4.0 * timeout + 6.0,
                    "{elapsed} s"
                );
                eprintln!("timeout {timeout} s: gave up after {elapsed:.2} s: {line}");
            });
        }
    });
    drop(listener);
}

#[test]
fn kml_on_stdout_is_escaped_and_the_file_is_exact() {
    let mut env = Env::new("gps-escape");
    let all = env.catch_all();
    env.me(1);
    let kml = "<?xml version=\"1.0\"?>\r\n<kml><name>\u{1b}]0;owned\u{7}\tboat</name></kml>\r\n";
    let gps = env
        .server
        .mock("GET", "/installations/151734/gps-download")
        .match_query(Matcher::Any)
        .with_header("content-type", "application/vnd.google-earth.kml+xml")
        .with_body(kml)
        .expect(1)
        .create();
    let args = ["gps", SITE, "--from", "2026-11-01", "--to", "2026-11-02"];
    let run = env.run(&args).ok();
    assert_no_raw_controls("stdout", &run.stdout.replace('\t', " "));
    assert_eq!(
        run.stdout,
        "<?xml version=\"1.0\"?>\n<kml><name>\\u{1b}]0;owned\\u{7}\tboat</name></kml>\n"
    );
    let file = env.dir.join("track.kml");
    let file_text = file.display().to_string();
    env.run(&[&args[..], &["-o", &file_text]].concat()).ok();
    // The control characters kept (the library trims the end, as before).
    assert_eq!(std::fs::read_to_string(&file).unwrap(), kml.trim_end());
    gps.assert();
    assert_all(&all);
}
