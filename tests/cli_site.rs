//! The site family's commands run as the built `vrm` against a mock VRM on
//! loopback, with a cache in a temp folder: alarms, dess, tags, settings,
//! favorite, forecasts, custom-widget. Destructive ones refuse without
//! `--yes` when stdin is no terminal, before any request.

#![cfg(feature = "cli")]

mod common;

use std::process::{Command, Stdio};

use common::{TOKEN, TempDir, assert_no_request, expect_get, expect_write, no_request};
use mockito::ServerGuard;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_vrm");

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

struct Env {
    server: ServerGuard,
    dir: TempDir,
}

impl Env {
    fn new(tag: &str) -> Env {
        Env {
            server: common::server(),
            dir: TempDir::new(&format!("cli-site-{tag}")),
        }
    }

    /// `vrm --base-url <mock> --no-cache ARGS`, stdin closed, with `VRM_TOKEN`.
    fn run(&self, args: &[&str]) -> Run {
        let out = Command::new(BIN)
            .env_clear()
            .env("HOME", &self.dir.0)
            .env("XDG_CACHE_HOME", self.dir.join("xdg"))
            .env("VRM_TOKEN", TOKEN)
            .arg("--base-url")
            .arg(self.server.url())
            .arg("--no-cache")
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("vrm runs");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    #[track_caller]
    fn ok(&self, args: &[&str]) -> String {
        let run = self.run(args);
        assert_eq!(
            run.code, 0,
            "vrm {args:?}: exit {}\n{}{}",
            run.code, run.stdout, run.stderr
        );
        run.stdout
    }

    #[track_caller]
    fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["--format", "json"]);
        let text = self.ok(&all);
        let value: Value = serde_json::from_str(&text).expect("one JSON object");
        assert_eq!(value["source"], "network", "{text}");
        value["data"].clone()
    }
}

const ALARMS: &str = r#"{"success":true,"alarms":[
  {"AlarmEnabled":1,"NotifyAfterSeconds":60,"highAlarm":2,"highAlarmHysteresis":2,
   "idDataAttribute":630,"instance":0,"lowAlarm":0,"lowAlarmHysteresis":0.2},
  {"alarmEnabled":0,"notifyAfterSeconds":3600,"idDataAttribute":185,"instance":1,"enumValues":[0,4]}
],"devices":[],"users":[],"attributes":[]}"#;

#[test]
fn alarms_list_in_table_csv_and_json() {
    let mut env = Env::new("alarms-list");
    let _m = env
        .server
        .mock("GET", "/installations/5/alarms")
        .with_body(ALARMS)
        .expect(3)
        .create();
    let table = env.ok(&["alarms", "list", "5"]);
    assert!(table.contains("attribute"), "{table}");
    assert!(table.lines().nth(1).unwrap().contains("630"), "{table}");
    assert!(table.contains("0,4"), "{table}");
    let csv = env.ok(&["alarms", "list", "5", "--format", "csv"]);
    assert!(
        csv.lines().nth(2).unwrap().starts_with("185,1,no,3600"),
        "{csv}"
    );
    let data = env.json(&["alarms", "list", "5"]);
    assert_eq!(data["alarms"]["alarms"][0]["idDataAttribute"], 630);
}

#[test]
fn alarms_add_edit_clear_and_log() {
    let mut env = Env::new("alarms-write");
    let add = expect_write(
        &mut env.server,
        "POST",
        "/installations/5/alarms",
        json!({"idDataAttribute":630,"instance":0,"AlarmEnabled":1,"NotifyAfterSeconds":60,
               "highAlarm":2.0,"highAlarmHysteresis":0.5,"lowAlarm":-1.0,"lowAlarmHysteresis":0.0}),
        r#"{"success":true,"idSite":5,"data":{"idDataAttribute":630}}"#,
    );
    let edit = expect_write(
        &mut env.server,
        "PUT",
        "/installations/5/alarms",
        json!({"idDataAttribute":185,"instance":1,"alarmEnabled":0,"notifyAfterSeconds":3600,
               "enumValues":[0,4]}),
        r#"{"success":true,"idSite":5}"#,
    );
    let clear = expect_write(
        &mut env.server,
        "POST",
        "/installations/5/clear-alarm",
        json!({"alarmId": 77}),
        r#"{"success":true,"idSite":"5"}"#,
    );
    let log = expect_get(
        &mut env.server,
        "/installations/5/alarm-log",
        "page=1&count=10",
        r#"{"success":true,"records":[{"idAlarm":77,"started":1700000000,"cleared":0,
            "description":"High voltage\u001b[31m"}],"total":1}"#,
    );
    let out = env.ok(&[
        "alarms",
        "add",
        "5",
        "--attribute",
        "630",
        "--notify-after",
        "60",
        "--high",
        "2",
        "--high-hysteresis",
        "0.5",
        "--low",
        "-1",
    ]);
    assert!(out.contains("alarm on attribute 630 added"), "{out}");
    let data = env.json(&[
        "alarms",
        "edit",
        "5",
        "--attribute",
        "185",
        "--instance",
        "1",
        "--notify-after",
        "3600",
        "--enum-values",
        "0,4",
        "--disabled",
    ]);
    assert_eq!(data["done"], "alarm on attribute 185 changed");
    env.ok(&["alarms", "clear", "5", "77"]);
    let table = env.ok(&["alarms", "log", "5", "--page", "1", "--count", "10"]);
    assert!(table.contains("active"), "{table}");
    assert!(
        table.contains("High voltage\\u{1b}[31m"),
        "escaped: {table}"
    );
    assert!(table.contains("1 of 1 entries"), "{table}");
    for m in [&add, &edit, &clear, &log] {
        m.assert();
    }
}

#[test]
fn destructive_commands_need_yes_without_a_terminal() {
    let mut env = Env::new("yes");
    let none = no_request(&mut env.server);
    for args in [
        &["alarms", "remove", "5", "--attribute", "630"][..],
        &["tags", "remove", "5", "foo"],
        &["custom-widget", "remove", "5", "9"],
        &["forecasts", "reset", "5"],
    ] {
        let run = env.run(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("pass --yes"),
            "{args:?}: {}",
            run.stderr
        );
        assert!(run.stdout.is_empty());
    }
    assert_no_request(&none);
}

#[test]
fn destructive_commands_with_yes() {
    let mut env = Env::new("yes-done");
    let alarm = expect_write(
        &mut env.server,
        "DELETE",
        "/installations/5/alarms",
        json!({"idDataAttribute": 630, "instance": 2}),
        r#"{"success":true}"#,
    );
    let tag = expect_write(
        &mut env.server,
        "DELETE",
        "/installations/5/tags",
        json!({"tag": "foo", "source": "team"}),
        r#"{"success":true}"#,
    );
    let widget = expect_write(
        &mut env.server,
        "DELETE",
        "/installations/5/custom-widget",
        json!({"idCustomWidget": 9}),
        r#"{"success":true}"#,
    );
    let reset = expect_write(
        &mut env.server,
        "POST",
        "/installations/5/reset-forecasts",
        json!({"resetType": 1}),
        r#"{"success":true}"#,
    );
    env.ok(&[
        "alarms",
        "remove",
        "5",
        "--attribute",
        "630",
        "--instance",
        "2",
        "--yes",
    ]);
    env.ok(&["tags", "remove", "5", "foo", "--source", "team", "--yes"]);
    env.ok(&["custom-widget", "remove", "5", "9", "--yes"]);
    let data = env.json(&["forecasts", "reset", "5", "--type", "1", "--yes"]);
    assert_eq!(data["done"], "forecasts reset");
    for m in [&alarm, &tag, &widget, &reset] {
        m.assert();
    }
}

#[test]
fn missing_fields_are_refused_before_any_request() {
    let mut env = Env::new("missing");
    let none = no_request(&mut env.server);
    for (args, says) in [
        (
            &[
                "alarms",
                "add",
                "5",
                "--attribute",
                "630",
                "--notify-after",
                "60",
            ][..],
            "no limit",
        ),
        (&["settings", "5"], "at least one field"),
        (
            &["dess", "set", "5", "--body", r#"{"isOn":true}"#],
            "batteryCapacity",
        ),
        (
            &["dess", "set", "5", "--method", "patch", "--body", "{}"],
            "at least one field",
        ),
        (&["dess", "set", "5", "--body", "[1]"], "not a JSON object"),
        (&["tags", "add", "5", " "], "not blank"),
        (
            &["tags", "5", "--filter", "everyone"],
            "expected user, team",
        ),
        (&["alarms", "log", "5", "--count", "0"], "count 0"),
    ] {
        let run = env.run(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(says), "{args:?}: {}", run.stderr);
    }
    assert_no_request(&none);
}

#[test]
fn tags_list_filter_add() {
    let mut env = Env::new("tags");
    let all = expect_get(
        &mut env.server,
        "/installations/5/tags",
        "",
        r#"{"success":true,"tags":{"user":["baz"],"predefined":["No alarm"]}}"#,
    );
    let team = expect_get(
        &mut env.server,
        "/installations/5/tags",
        "filter=team",
        r#"{"success":true,"tags":{"team":["bar"]}}"#,
    );
    let add = expect_write(
        &mut env.server,
        "PUT",
        "/installations/5/tags",
        json!({"tag": "new", "source": "user"}),
        r#"{"success":true}"#,
    );
    let table = env.ok(&["tags", "5"]);
    assert!(
        table.contains("predefined") && table.contains("baz"),
        "{table}"
    );
    let data = env.json(&["tags", "list", "5", "--filter", "team"]);
    assert_eq!(data["tags"][0]["name"], "bar");
    let out = env.ok(&["tags", "add", "5", "new"]);
    assert!(out.contains("tag \"new\" added"), "{out}");
    for m in [&all, &team, &add] {
        m.assert();
    }
}

#[test]
fn dess_get_set_schedule_adjust() {
    let mut env = Env::new("dess");
    let get = expect_get(
        &mut env.server,
        "/installations/5/dynamic-ess-settings",
        "",
        r#"{"success":true,"data":{"isOn":true,"batteryCapacity":10}}"#,
    );
    let patch = expect_write(
        &mut env.server,
        "PATCH",
        "/installations/5/dynamic-ess-settings",
        json!({"isOn": false}),
        r#"{"success":true,"data":{"isOn":false}}"#,
    );
    let schedule = expect_get(
        &mut env.server,
        "/installations/5/schedule-dynamic-ess",
        "async=0",
        r#"{"success":true,"records":[]}"#,
    );
    let adjust = expect_write(
        &mut env.server,
        "POST",
        "/installations/5/adjust-consumption",
        json!({"kwh": 2}),
        r#"{"success":true}"#,
    );
    let table = env.ok(&["dess", "get", "5"]);
    assert!(table.contains("isOn") && table.contains("true"), "{table}");
    let data = env.json(&[
        "dess",
        "set",
        "5",
        "--method",
        "patch",
        "--body",
        r#"{"isOn":false}"#,
    ]);
    assert_eq!(data["settings"]["isOn"], false);
    let data = env.json(&["dess", "schedule", "5"]);
    assert_eq!(data["records"], json!([]));
    env.ok(&["dess", "adjust", "5", "--body", r#"{"kwh":2}"#]);
    for m in [&get, &patch, &schedule, &adjust] {
        m.assert();
    }
}

#[test]
fn settings_favorite_forecasts_custom_widget() {
    let mut env = Env::new("settings");
    let settings = expect_write(
        &mut env.server,
        "POST",
        "/installations/5/settings",
        json!({"description": "Boat", "realtimeUpdates": true, "geofence": {"r": 1}}),
        r#"{"success":true,"idSite":5,"data":{"description":"Boat"}}"#,
    );
    let favorite = expect_write(
        &mut env.server,
        "POST",
        "/installations/5/favorite",
        json!({"favorite": 0}),
        r#"{"success":true}"#,
    );
    let last = expect_get(
        &mut env.server,
        "/installations/5/reset-forecasts",
        "resetType=0",
        r#"{"success":true,"last_reset":0}"#,
    );
    let widget = expect_get(
        &mut env.server,
        "/installations/5/custom-widget",
        "idCustomWidget=9",
        r#"{"success":true,"widget":{"idCustomWidget":9,"name":"PV"}}"#,
    );
    let add = expect_write(
        &mut env.server,
        "POST",
        "/installations/5/custom-widget",
        json!({"name": "PV", "yAxisScaling": 0, "parameters": {"a": 1}, "onlyAdmins": 1}),
        r#"{"success":true,"idCustomWidget":9}"#,
    );
    let edit = expect_write(
        &mut env.server,
        "PATCH",
        "/installations/5/custom-widget",
        json!({"name": "PV2", "yAxisScaling": -1, "parameters": {}, "idCustomWidget": 9}),
        r#"{"success":true}"#,
    );
    let data = env.json(&[
        "settings",
        "5",
        "--name",
        "Boat",
        "--realtime-updates",
        "on",
        "--geofence",
        r#"{"r":1}"#,
    ]);
    assert_eq!(data["settings"]["description"], "Boat");
    env.ok(&["favorite", "5", "--off"]);
    let table = env.ok(&["forecasts", "last-reset", "5"]);
    assert!(table.contains("never"), "{table}");
    let table = env.ok(&["custom-widget", "get", "5", "9"]);
    assert!(table.contains("name") && table.contains("PV"), "{table}");
    let out = env.ok(&[
        "custom-widget",
        "add",
        "5",
        "--name",
        "PV",
        "--y-axis-scaling",
        "0",
        "--parameters",
        r#"{"a":1}"#,
        "--only-admins",
        "on",
    ]);
    assert!(out.contains("custom widget 9 added"), "{out}");
    env.ok(&[
        "custom-widget",
        "edit",
        "5",
        "9",
        "--name",
        "PV2",
        "--y-axis-scaling",
        "-1",
        "--parameters",
        "{}",
    ]);
    for m in [&settings, &favorite, &last, &widget, &add, &edit] {
        m.assert();
    }
}
