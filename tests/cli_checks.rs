//! What the CLI checks before it sends anything: attribute codes against
//! the catalogue of the VRM doc.
#![cfg(feature = "cli")]

mod common;

use std::process::Command;
use std::time::Duration;

use common::TempDir;
use common::slow::SlowVrm;

const BIN: &str = env!("CARGO_BIN_EXE_vrm");

fn vrm(server: &SlowVrm, dir: &TempDir, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .env_clear()
        .env("HOME", dir.join("home"))
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

#[test]
fn unknown_codes_are_refused_before_any_request_with_what_was_meant() {
    let server = SlowVrm::start(Duration::ZERO, None, slow_fleet());
    let dir = TempDir::new("cli-codes");
    let window = ["--from", "2025-01-01", "--to", "2025-01-02"];
    for (args, meant) in [
        (
            vec!["stats", "1", "--type", "custom", "--codes", "Pc,pc"],
            "'Pc' (PV to consumers)",
        ),
        (
            vec!["graph", "1", "--codes", "bss"],
            "'bs' (Battery State of Charge)",
        ),
        (
            vec!["overall", "1", "--type", "custom", "--codes", "gC"],
            "'Gc'",
        ),
        (
            vec!["sync", "1", "--type", "custom", "--codes", "pc"],
            "'Pc'",
        ),
    ] {
        let args = if args[0] == "overall" {
            args
        } else {
            [&args[..], &window[..]].concat()
        };
        let (code, stdout, stderr) = vrm(&server, &dir, &args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stdout.is_empty());
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("unknown code"), "{stderr}");
        assert!(
            stderr.contains(&format!("did you mean {meant}")),
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains("--allow-unknown-codes"), "{stderr}");
    }
    assert_eq!(
        server.requests(),
        0,
        "nothing was sent: {:?}",
        server.paths()
    );
    // A code VRM added after the doc goes through when asked.
    let (code, _, stderr) = vrm(
        &server,
        &dir,
        &[
            "--allow-unknown-codes",
            "stats",
            "1",
            "--type",
            "custom",
            "--codes",
            "Zz9",
            "--from",
            "2025-01-01",
            "--to",
            "2025-01-02",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        server
            .paths()
            .iter()
            .any(|p| p.contains("attributeCodes%5B%5D=Zz9")),
        "{:?}",
        server.paths()
    );
}

fn slow_fleet() -> impl Fn(&str, &str) -> (u16, Vec<u8>) + Send + Sync + 'static {
    common::slow::fleet(1)
}

#[test]
fn custom_columns_keep_the_order_asked_with_units_and_csv_times_are_rfc3339() {
    let server = SlowVrm::start(Duration::ZERO, None, slow_fleet());
    let dir = TempDir::new("cli-columns");
    let args = [
        "stats",
        "1",
        "--type",
        "custom",
        "--codes",
        "bv,bs,Pc",
        "--from",
        "2025-01-01",
        "--to",
        "2025-01-01T02:00:00Z",
    ];
    let (code, table, stderr) = vrm(&server, &dir, &args);
    assert_eq!(code, 0, "{stderr}");
    let header: Vec<&str> = table
        .lines()
        .next()
        .unwrap()
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(header, ["time", "bv V", "bs %", "Pc kWh"], "{table}");
    let (code, csv, _) = vrm(&server, &dir, &[&args[..], &["--format", "csv"]].concat());
    assert_eq!(code, 0);
    let first = csv.lines().nth(1).unwrap();
    assert!(first.starts_with("2025-01-01T00:00:00Z,bv,"), "{csv}");
}

#[test]
fn the_alarm_widget_has_a_row_per_alarm() {
    let server = SlowVrm::start(Duration::ZERO, None, |_, target| {
        if target.starts_with("users/me") {
            return (200, br#"{"success":true,"user":{"id":22}}"#.to_vec());
        }
        if target.starts_with("installations/1/widgets/Alarm") {
            return (
                200,
                br#"{"success":true,"records":{"data":null,"alarms":[{"idAlarm":7,"name":"Low SOC","enabled":1},{"idAlarm":8,"name":"High temp","enabled":0}],"devices":[{"idDevice":3,"name":"BMV"}]}}"#.to_vec(),
            );
        }
        (404, Vec::new())
    });
    let dir = TempDir::new("cli-alarm-widget");
    let (code, table, stderr) = vrm(&server, &dir, &["widget", "1", "Alarm"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(table.lines().next().unwrap().starts_with("list"), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.contains("alarms") && l.contains("Low SOC")),
        "{table}"
    );
    assert!(
        table
            .lines()
            .any(|l| l.contains("devices") && l.contains("BMV")),
        "{table}"
    );
    let (_, csv, _) = vrm(&server, &dir, &["widget", "1", "Alarm", "--format", "csv"]);
    assert_eq!(csv.lines().count(), 4, "a header and three rows: {csv}");
}

#[test]
fn a_download_to_dash_goes_to_stdout_not_to_a_file_named_dash() {
    let server = SlowVrm::start(Duration::ZERO, None, |_, target| {
        if target.starts_with("users/me") {
            return (200, br#"{"success":true,"user":{"id":22}}"#.to_vec());
        }
        if target.starts_with("installations/1/data-download") {
            // base64 of "a,b\n1,2\n"
            return (200, br#"{"success":true,"data":"YSxiCjEsMgo="}"#.to_vec());
        }
        (404, Vec::new())
    });
    let dir = TempDir::new("cli-download-dash");
    let out = Command::new(BIN)
        .current_dir(&dir.0)
        .env_clear()
        .env("HOME", dir.join("home"))
        .env("VRM_TOKEN", "test-token")
        .args(["--base-url", &server.url, "--no-cache"])
        .args([
            "download",
            "1",
            "--from",
            "2025-01-01",
            "--to",
            "2025-01-02",
            "-o",
            "-",
        ])
        .output()
        .expect("vrm runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "a,b\n1,2\n");
    assert!(!dir.join("-").exists(), "no file named -");
}

#[test]
fn a_long_download_goes_in_allowed_pieces_joined_under_one_header() {
    use std::sync::{Arc, Mutex};
    let windows = Arc::new(Mutex::new(Vec::new()));
    let seen = windows.clone();
    let server = SlowVrm::start(Duration::ZERO, None, move |_, target| {
        if target.starts_with("users/me") {
            return (200, br#"{"success":true,"user":{"id":22}}"#.to_vec());
        }
        let param = |k: &str| {
            target
                .split(['?', '&'])
                .find_map(|p| p.strip_prefix(&format!("{k}=")[..]))
                .unwrap_or("")
                .to_owned()
        };
        if target.starts_with("installations/1/data-download") {
            let (start, end) = (param("start"), param("end"));
            seen.lock().unwrap().push((start.clone(), end.clone()));
            let csv = format!("time,bs\n{start},50\n");
            return (200, csv.into_bytes());
        }
        if target.starts_with("installations/1/gps-download") {
            let kml = format!(
                "<?xml version=\"1.0\"?><kml><Document><Placemark>{}</Placemark></Document></kml>",
                param("start")
            );
            return (200, kml.into_bytes());
        }
        (404, Vec::new())
    });
    let dir = TempDir::new("cli-long-download");
    let file = dir.join("year.csv");
    // 75 days of logged data: 31 + 31 + 13.
    let (code, _, stderr) = vrm(
        &server,
        &dir,
        &[
            "download",
            "1",
            "--from",
            "2025-01-01",
            "--to",
            "2025-03-17",
            "-o",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let asked = windows.lock().unwrap().clone();
    assert_eq!(
        asked,
        [
            ("1735689600".to_owned(), "1738368000".to_owned()),
            ("1738368000".to_owned(), "1741046400".to_owned()),
            ("1741046400".to_owned(), "1742169600".to_owned()),
        ]
    );
    let csv = std::fs::read_to_string(&file).unwrap();
    assert_eq!(
        csv,
        "time,bs\n1735689600,50\n1738368000,50\n1741046400,50\n"
    );
    // A file that cannot be joined is refused before any request.
    let before = server.requests();
    let (code, _, stderr) = vrm(
        &server,
        &dir,
        &[
            "download",
            "1",
            "--from",
            "2025-01-01",
            "--to",
            "2025-03-17",
            "--format",
            "xlsx",
            "-o",
            "x.xlsx",
        ],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("at most 31 days") && stderr.contains("--format csv"),
        "{stderr}"
    );
    assert_eq!(server.requests(), before);
    // GPS: 40 days in two pieces, one KML document of both tracks.
    let (code, kml, stderr) = vrm(
        &server,
        &dir,
        &["gps", "1", "--from", "2025-01-01", "--to", "2025-02-10"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(kml.matches("<Document>").count(), 1, "{kml}");
    assert_eq!(kml.matches("<Placemark>").count(), 2, "{kml}");
}

#[test]
fn sync_all_fills_every_site_and_says_what_it_did() {
    let server = SlowVrm::start(Duration::ZERO, None, common::slow::fleet(3));
    let dir = TempDir::new("cli-sync-all");
    let args = [
        "sync",
        "--all",
        "--from",
        "2025-01-01",
        "--to",
        "2025-03-01",
    ];
    let (code, table, stderr) = vrm(&server, &dir, &args);
    assert_eq!(code, 0, "{stderr}");
    for site in ["Site 1", "Site 2", "Site 3"] {
        assert!(
            table
                .lines()
                .any(|l| l.contains(site) && l.contains("network")),
            "{table}"
        );
    }
    // me + the list + 3 sites × 2 chunks.
    assert!(table.contains("3 sites, 8 requests,"), "{table}");
    assert!(table.contains("0 failed"), "{table}");
    let (code, json, _) = vrm(&server, &dir, &[&args[..], &["--format", "json"]].concat());
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(
        v["requests"], 0,
        "a second run finds everything cached: {v}"
    );
    assert_eq!(v["data"]["sites"].as_array().map(Vec::len), Some(3));
}

#[test]
fn diagnostics_by_page_says_how_many_there_are() {
    let server = SlowVrm::start(Duration::ZERO, None, |_, target| {
        if target.starts_with("users/me") {
            return (200, br#"{"success":true,"user":{"id":22}}"#.to_vec());
        }
        if target == "installations/1/diagnostics?count=2&page=2" {
            return (
                200,
                br#"{"success":true,"num_records":5,"records":[{"idDataAttribute":51,"code":"bs","description":"Battery SOC","formattedValue":"50 %","timestamp":1735689600}]}"#.to_vec(),
            );
        }
        (404, br#"{"success":false,"errors":"no route"}"#.to_vec())
    });
    let dir = TempDir::new("cli-diagnostics-page");
    let (code, table, stderr) = vrm(
        &server,
        &dir,
        &["diagnostics", "1", "--count", "2", "--page", "2"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        table
            .lines()
            .any(|l| l.contains("bs") && l.contains("50 %")),
        "{table}"
    );
    assert!(
        table.contains("page 2 of 2 records a page; VRM holds 5 in all"),
        "{table}"
    );
    let (code, _, stderr) = vrm(&server, &dir, &["diagnostics", "1", "--page", "0"]);
    assert_eq!(code, 2, "{stderr}");
}
