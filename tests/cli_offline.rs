//! Offline is offline: every command of `vrm` run with `--offline` on an
//! empty cache sends no request at all — with a token, with a username and
//! password, or on the demo account — and fails with exit 5 (not in the
//! cache) or 2 (usage) and one line on stderr that says why.
//!
//! And offline needs no credentials once a cache holds the one account it
//! can answer for; with two accounts for the host it asks for `--account`.
//!
//! Each run is the built binary with an empty environment (but `PATH`, a
//! `HOME` inside the test's temp folder and the `VRM_*` variables the test
//! means), `--cache` in that folder and `--base-url` pointing at a mock VRM
//! on loopback whose catch-all mocks (every method, every path) count what
//! reaches them. Run with `--nocapture` for a table of exit codes and
//! request counts per command.

#![cfg(feature = "cli")]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use common::{TempDir, fixture, stats_body};
use mockito::{Matcher, Mock, ServerGuard};

/// The binary under test.
const BIN: &str = env!("CARGO_BIN_EXE_vrm");

/// An installation of `installations.json`.
const SITE: &str = "151734";

/// A window in the past of every run.
const FROM: &str = "2026-11-01";
const TO: &str = "2026-11-02";

/// Two personal tokens, of two accounts.
const TOKEN_A: &str = "offline-test-token-a-31f0";
const TOKEN_B: &str = "offline-test-token-b-77c2";
const USER_A: u64 = 22;
const USER_B: u64 = 4711;

// ---- the mock VRM: answers everything, counts everything ----------------------------

/// The answers of the router, read once.
struct Bodies {
    installations: String,
    overview: String,
    diagnostics: String,
    overall: String,
    graph: String,
    widget: String,
    gps: String,
    download: String,
    tags: String,
    tokens: String,
    created: String,
    revoked: String,
}

/// A mock VRM that answers every route a command may use as VRM would —
/// so that a request an offline run should not have made also succeeds
/// and shows in the exit code — and counts every request.
struct Vrm {
    server: ServerGuard,
    seen: Arc<AtomicU64>,
    _mocks: Vec<Mock>,
}

impl Vrm {
    fn new() -> Vrm {
        let mut server = common::server();
        let seen = Arc::new(AtomicU64::new(0));
        let bodies = Arc::new(Bodies {
            installations: fixture("installations.json"),
            overview: fixture("system_overview.json"),
            diagnostics: fixture("diagnostics.json"),
            overall: fixture("overallstats.json"),
            graph: fixture("widget_graph_bs_bv.json"),
            widget: fixture("widget_vebus_state.json"),
            gps: fixture("gps_download.kml"),
            download: fixture("data_download.json"),
            tags: fixture("tags.json"),
            tokens: fixture("tokens_list.json"),
            created: fixture("tokens_create.json"),
            revoked: fixture("tokens_revoke.json"),
        });
        let mocks = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
            .iter()
            .map(|method| {
                let counter = Arc::clone(&seen);
                let for_status = Arc::clone(&bodies);
                let for_body = Arc::clone(&bodies);
                server
                    .mock(method, Matcher::Any)
                    // Called once per request: the one place that counts.
                    .with_status_code_from_request(move |req| {
                        counter.fetch_add(1, Ordering::SeqCst);
                        route(req, &for_status).0
                    })
                    .with_body_from_request(move |req| route(req, &for_body).1)
                    .create()
            })
            .collect();
        Vrm {
            server,
            seen,
            _mocks: mocks,
        }
    }

    fn url(&self) -> String {
        self.server.url()
    }

    fn seen(&self) -> u64 {
        self.seen.load(Ordering::SeqCst)
    }
}

/// `users/me` of user `id`.
fn me_body(id: u64) -> String {
    format!(
        r#"{{"success":true,"user":{{"id":{id},"name":"User {id}","email":"u{id}@example.com","country":"NL","idAccessToken":null,"accessLevel":0}}}}"#
    )
}

/// Status and body for a request; unknown routes get a 404 that names them.
fn route(req: &mockito::Request, b: &Bodies) -> (usize, Vec<u8>) {
    let segments: Vec<&str> = req.path().trim_matches('/').split('/').collect();
    let ok = |body: &str| (200, body.as_bytes().to_vec());
    let auth = req
        .header("x-authorization")
        .first()
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    match (req.method(), segments.as_slice()) {
        ("POST", ["auth", "login"]) => ok(&format!(
            r#"{{"success":true,"token":"offline-test-bearer","idUser":{USER_A},"verification_mode":"password","verification_sent":false}}"#
        )),
        ("GET", ["auth", "loginAsDemo"]) => ok(
            r#"{"token":"offline-test-demo-bearer","idUser":22,"verification_mode":"password","verification_sent":false}"#,
        ),
        ("POST", ["auth", "logout"]) => ok(r#"{"success":true}"#),
        ("GET", ["users", "me"]) if auth == format!("Token {TOKEN_B}") => ok(&me_body(USER_B)),
        ("GET", ["users", "me"]) => ok(&me_body(USER_A)),
        ("GET", ["users", _, "installations"]) => ok(&b.installations),
        ("GET", ["users", _, "accesstokens", "list"]) => ok(&b.tokens),
        ("POST", ["users", _, "accesstokens", "create"]) => ok(&b.created),
        ("GET", ["users", _, "accesstokens", _, "revoke"]) => ok(&b.revoked),
        ("GET", ["installations", _, "system-overview"]) => ok(&b.overview),
        ("GET", ["installations", _, "diagnostics"]) => ok(&b.diagnostics),
        ("GET", ["installations", _, "overallstats"]) => ok(&b.overall),
        ("GET", ["installations", _, "stats"]) => (200, stats_body(req.path_and_query(), 3600)),
        ("GET", ["installations", _, "widgets", "Graph"]) => ok(&b.graph),
        ("GET", ["installations", _, "widgets", _]) => ok(&b.widget),
        ("GET", ["installations", _, "gps-download"]) => ok(&b.gps),
        ("GET", ["installations", _, "data-download"]) => ok(&b.download),
        ("GET", ["installations", _, "tags"]) => ok(&b.tags),
        (method, _) => (
            404,
            format!(
                r#"{{"success":false,"errors":"no route for {method} {}"}}"#,
                req.path_and_query()
            )
            .into_bytes(),
        ),
    }
}

// ---- running the binary --------------------------------------------------------------

/// The credentials a run has.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Creds {
    /// `VRM_TOKEN` (of user 22).
    Token,
    /// `VRM_TOKEN` of the second account (user 4711).
    TokenB,
    /// `VRM_USERNAME` + `VRM_PASSWORD`.
    Password,
    /// `--demo`, no `VRM_*` at all.
    Demo,
    /// No `VRM_*`, no `--demo`.
    Nothing,
}

impl Creds {
    /// For temp folder names.
    fn slug(self) -> &'static str {
        match self {
            Creds::Token => "token",
            Creds::TokenB => "token-b",
            Creds::Password => "password",
            Creds::Demo => "demo",
            Creds::Nothing => "none",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Creds::Token => "VRM_TOKEN",
            Creds::TokenB => "VRM_TOKEN (B)",
            Creds::Password => "VRM_USERNAME+PASSWORD",
            Creds::Demo => "--demo",
            Creds::Nothing => "none",
        }
    }
}

/// One finished run of `vrm`.
#[derive(Debug)]
struct Run {
    args: String,
    code: i32,
    stdout: String,
    stderr: String,
    /// Requests the mock saw during the run.
    requests: u64,
}

/// `vrm` with an empty environment but for `PATH`, a `HOME` and cache
/// folder inside `dir`, and the variables of `creds` (plus `extra`).
fn vrm(dir: &TempDir, creds: Creds, extra: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("HOME", &dir.0)
        .env("XDG_CACHE_HOME", dir.join("xdg-cache"))
        .current_dir(&dir.0);
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    match creds {
        Creds::Token => {
            cmd.env("VRM_TOKEN", TOKEN_A);
        }
        Creds::TokenB => {
            cmd.env("VRM_TOKEN", TOKEN_B);
        }
        Creds::Password => {
            cmd.env("VRM_USERNAME", "u@example.com")
                .env("VRM_PASSWORD", "pw");
        }
        Creds::Demo => {
            cmd.arg("--demo");
        }
        Creds::Nothing => {}
    }
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd
}

/// Run `cmd` to the end, counting the requests `server` saw meanwhile.
fn run(server: &Vrm, cmd: &mut Command) -> Run {
    let args = cmd
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    let before = server.seen();
    let out = cmd.output().expect("vrm runs");
    Run {
        args,
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        requests: server.seen() - before,
    }
}

/// `vrm [--offline] --cache <cache> --base-url <mock> args…`.
fn run_with(
    server: &Vrm,
    dir: &TempDir,
    creds: Creds,
    env: &[(&str, &str)],
    offline: bool,
    cache: &Path,
    args: &[String],
) -> Run {
    let mut cmd = vrm(dir, creds, env);
    if offline {
        cmd.arg("--offline");
    }
    cmd.arg("--cache")
        .arg(cache)
        .arg("--base-url")
        .arg(server.url())
        .args(args);
    run(server, &mut cmd)
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| (*s).to_owned()).collect()
}

/// Every command that may use the network, with its required arguments
/// (and a variant or two), labelled; `cache info` last.
fn commands(dir: &TempDir) -> Vec<(&'static str, Vec<String>)> {
    let window = ["--from", FROM, "--to", TO];
    let with_window = |head: &[&str]| {
        let mut all = head.to_vec();
        all.extend(window);
        strings(&all)
    };
    let download_to: PathBuf = dir.join("download.csv");
    let gps_to: PathBuf = dir.join("track.kml");
    vec![
        ("demo", strings(&["demo"])),
        ("login", strings(&["login", "--name", "offline-test"])),
        ("me", strings(&["me"])),
        ("installations", strings(&["installations"])),
        (
            "installations --extended",
            strings(&["installations", "--extended"]),
        ),
        ("overview", strings(&["overview", SITE])),
        ("diagnostics", strings(&["diagnostics", SITE])),
        ("stats", with_window(&["stats", SITE])),
        (
            "stats --type custom",
            with_window(&[
                "stats",
                SITE,
                "--type",
                "custom",
                "--codes",
                "bs,bv",
                "--interval",
                "15mins",
                "--instances",
            ]),
        ),
        ("overall", strings(&["overall", SITE])),
        (
            "overall --type kwh",
            strings(&["overall", SITE, "--type", "kwh"]),
        ),
        (
            "graph",
            with_window(&["graph", SITE, "--codes", "bs,bv", "--instance", "0"]),
        ),
        (
            "widget (state)",
            with_window(&["widget", SITE, "VeBusState"]),
        ),
        (
            "widget (summary)",
            strings(&["widget", SITE, "BatterySummary", "--instance", "0"]),
        ),
        ("download", {
            let mut a = with_window(&["download", SITE]);
            a.push("-o".into());
            a.push(download_to.display().to_string());
            a
        }),
        ("gps", with_window(&["gps", SITE])),
        ("gps -o", {
            let mut a = with_window(&["gps", SITE]);
            a.push("-o".into());
            a.push(gps_to.display().to_string());
            a
        }),
        ("tags", strings(&["tags", SITE])),
        ("tokens list", strings(&["tokens", "list"])),
        (
            "tokens create",
            strings(&["tokens", "create", "offline-test"]),
        ),
        ("tokens revoke", strings(&["tokens", "revoke", "50"])),
        (
            "tokens revoke *",
            strings(&["tokens", "revoke", "*", "--yes"]),
        ),
        ("report", with_window(&["report", SITE])),
        ("sync", strings(&["sync", SITE, "--from", FROM, "--to", TO])),
        ("cache info", strings(&["cache", "info"])),
    ]
}

/// True when stderr's line says why the run failed: offline, or (for a
/// usage error) what is needed or expected.
fn says_why(line: &str, code: i32) -> bool {
    let text = line.to_ascii_lowercase();
    text.starts_with("vrm: ")
        && text.len() > "vrm: ".len() + 10
        && (text.contains("offline")
            || (code == 2
                && ["needs", "need ", "expected", "credentials", "vrm_"]
                    .iter()
                    .any(|w| text.contains(w))))
}

/// The first line of stderr, shortened for the table.
fn short(stderr: &str) -> String {
    let line = stderr.lines().next().unwrap_or("");
    let mut out: String = line.chars().take(90).collect();
    if line.chars().count() > 90 {
        out.push('…');
    }
    out
}

/// A table of runs, printed in one piece (tests run in parallel).
fn print_table(title: &str, rows: &[(String, &Run)]) {
    let width = rows.iter().map(|(c, _)| c.len()).max().unwrap_or(7).max(7);
    let mut text = format!(
        "\n{title}\n{:<width$}  {:>4}  {:>8}  stderr\n",
        "command", "exit", "requests"
    );
    for (command, run) in rows {
        text.push_str(&format!(
            "{command:<width$}  {:>4}  {:>8}  {}\n",
            run.code,
            run.requests,
            short(&run.stderr)
        ));
    }
    println!("{text}");
}

// ---- 1. every command, offline on an empty cache -----------------------------------

fn every_command_offline(creds: Creds) {
    let server = Vrm::new();
    let dir = TempDir::new(&format!("offline-{}", creds.slug()));
    let mut runs = Vec::new();
    for (i, (label, args)) in commands(&dir).into_iter().enumerate() {
        // A new, empty cache for each run.
        let cache = dir.join(&format!("empty-{i}.sqlite"));
        let run = run_with(&server, &dir, creds, &[], true, &cache, &args);
        runs.push((label, run));
    }
    let rows: Vec<(String, &Run)> = runs.iter().map(|(l, r)| ((*l).to_owned(), r)).collect();
    print_table(
        &format!("vrm --offline, empty cache, credentials: {}", creds.label()),
        &rows,
    );

    let mut wrong = Vec::new();
    for (label, run) in &runs {
        let mut problems = Vec::new();
        if run.requests != 0 {
            problems.push(format!("{} requests reached the server", run.requests));
        }
        if *label == "cache info" {
            if run.code != 0 {
                problems.push(format!("exit {} (expected 0)", run.code));
            }
        } else if run.code != 5 && run.code != 2 {
            problems.push(format!(
                "exit {} (expected 5, offline and not cached, or 2, usage)",
                run.code
            ));
        } else {
            let lines: Vec<&str> = run.stderr.lines().collect();
            if lines.len() != 1 {
                problems.push(format!("{} lines on stderr (expected 1)", lines.len()));
            }
            if !lines.first().is_some_and(|l| says_why(l, run.code)) {
                problems.push("stderr does not say why (offline, or what is needed)".into());
            }
            if !run.stdout.is_empty() {
                problems.push("a failure wrote to stdout".into());
            }
        }
        if (label.starts_with("tokens create") || label.starts_with("tokens revoke"))
            && run.code == 0
        {
            problems.push("a token was created or revoked while offline".into());
        }
        if !problems.is_empty() {
            wrong.push(format!(
                "vrm {} [{}]: {}\n    stderr: {}",
                run.args,
                creds.label(),
                problems.join("; "),
                run.stderr.trim_end().replace('\n', "\n            ")
            ));
        }
    }
    assert!(
        server.seen() == 0 || !wrong.is_empty(),
        "requests counted but no run blamed"
    );
    assert!(
        wrong.is_empty(),
        "{} of {} offline runs with {} misbehave:\n{}",
        wrong.len(),
        runs.len(),
        creds.label(),
        wrong.join("\n")
    );
}

#[test]
fn offline_with_a_token_every_command_makes_no_request() {
    every_command_offline(Creds::Token);
}

#[test]
fn offline_with_username_and_password_every_command_makes_no_request() {
    every_command_offline(Creds::Password);
}

#[test]
fn offline_on_the_demo_account_every_command_makes_no_request() {
    every_command_offline(Creds::Demo);
}

// ---- 2. offline without credentials: the cache's account ---------------------------

/// `vrm installations` online with `creds`, filling `cache`.
#[track_caller]
fn fill(server: &Vrm, dir: &TempDir, creds: Creds, cache: &Path) -> Run {
    let run = run_with(
        server,
        dir,
        creds,
        &[],
        false,
        cache,
        &strings(&["installations"]),
    );
    assert_eq!(
        run.code,
        0,
        "vrm {} online [{}]: exit {}\nstderr: {}",
        run.args,
        creds.label(),
        run.code,
        run.stderr
    );
    assert!(run.requests > 0, "the online run asked VRM");
    run
}

/// The numbers in `text`, as words of digits.
fn numbers(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|w| !w.is_empty())
        .collect()
}

#[test]
fn offline_without_credentials_answers_for_the_only_account_of_the_cache() {
    let server = Vrm::new();
    let dir = TempDir::new("offline-one-account");
    let cache = dir.join("c.sqlite");
    let online = fill(&server, &dir, Creds::Token, &cache);
    let offline = run_with(
        &server,
        &dir,
        Creds::Nothing,
        &[],
        true,
        &cache,
        &strings(&["installations"]),
    );
    print_table(
        "one account in the cache",
        &[
            ("installations (online, VRM_TOKEN)".into(), &online),
            ("installations (--offline, no credentials)".into(), &offline),
        ],
    );
    assert_eq!(
        offline.code, 0,
        "vrm {}: exit {} with one account in the cache\nstderr: {}",
        offline.args, offline.code, offline.stderr
    );
    assert_eq!(offline.requests, 0, "offline asked VRM");
    assert!(
        offline.stdout.contains(SITE),
        "the cached installations:\n{}",
        offline.stdout
    );
}

#[test]
fn offline_without_credentials_and_two_accounts_asks_for_account() {
    let server = Vrm::new();
    let dir = TempDir::new("offline-two-accounts");
    let cache = dir.join("c.sqlite");
    let a = fill(&server, &dir, Creds::Token, &cache);
    let b = fill(&server, &dir, Creds::TokenB, &cache);
    let installations = strings(&["installations"]);
    let ambiguous = run_with(
        &server,
        &dir,
        Creds::Nothing,
        &[],
        true,
        &cache,
        &installations,
    );
    let with_flag = |id: &str| {
        let mut args = strings(&["--account", id]);
        args.extend(installations.iter().cloned());
        run_with(&server, &dir, Creds::Nothing, &[], true, &cache, &args)
    };
    let flag_a = with_flag("22");
    let flag_b = with_flag("4711");
    let env_b = run_with(
        &server,
        &dir,
        Creds::Nothing,
        &[("VRM_ACCOUNT", "4711")],
        true,
        &cache,
        &installations,
    );
    let unknown = with_flag("999");
    print_table(
        "two accounts in the cache (22 and 4711)",
        &[
            ("installations (online, token A)".into(), &a),
            ("installations (online, token B)".into(), &b),
            ("installations (--offline, none)".into(), &ambiguous),
            ("--account 22 installations".into(), &flag_a),
            ("--account 4711 installations".into(), &flag_b),
            ("VRM_ACCOUNT=4711 installations".into(), &env_b),
            ("--account 999 installations".into(), &unknown),
        ],
    );

    let mut wrong = Vec::new();
    // Without a choice: a failure naming both accounts and the flag.
    if ambiguous.code != 2 && ambiguous.code != 5 {
        wrong.push(format!(
            "no credentials, two accounts: exit {} (expected 2 or 5)",
            ambiguous.code
        ));
    }
    let lines: Vec<&str> = ambiguous.stderr.lines().collect();
    let line = lines.first().copied().unwrap_or("");
    if lines.len() != 1 {
        wrong.push(format!(
            "no credentials, two accounts: {} lines on stderr (expected 1)",
            lines.len()
        ));
    }
    let ids = numbers(line);
    if !(ids.contains(&"22") && ids.contains(&"4711") && line.contains("--account")) {
        wrong.push(format!(
            "no credentials, two accounts: the message should list 22 and 4711 and name \
             --account ID: {line:?}"
        ));
    }
    for (what, run) in [
        ("--account 22", &flag_a),
        ("--account 4711", &flag_b),
        ("VRM_ACCOUNT=4711", &env_b),
    ] {
        if run.code != 0 || !run.stdout.contains(SITE) {
            wrong.push(format!(
                "{what}: exit {} (expected 0 and the cached list)\n    stderr: {}",
                run.code,
                run.stderr.trim_end()
            ));
        }
    }
    if unknown.code != 2 && unknown.code != 5 {
        wrong.push(format!(
            "--account 999 (not in the cache): exit {} (expected 2 or 5)",
            unknown.code
        ));
    }
    for run in [&ambiguous, &flag_a, &flag_b, &env_b, &unknown] {
        if run.requests != 0 {
            wrong.push(format!(
                "vrm {}: {} requests while offline",
                run.args, run.requests
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
